"""UI-free state machines, one per citizen / staff / technician task.

Flows never import Kivy, pyserial, pyscard, OpenCV or any device library: they talk to services
and to device interfaces, take an injected clock, and return `ViewModel`s that screens render.
"""
