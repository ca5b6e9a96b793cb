"""The touch screen (Kivy 2.3.1): theme, fonts, translated texts, and one screen template per kind
of flow state. Screens render `kiosk.flows.viewmodel.ViewModel`s and turn touches into
`flow.act(...)`; they hold no business logic. Importing this package imports no Kivy: each module
imports Kivy itself, so headless code can read `kiosk.screens.theme` colour maths without a window.
"""
