"""The 好差评 rating template: the five levels (非常满意 … 非常不满意) as big buttons, one touch each
(`rate:<score>`); "skip" is in the action bar. Elder mode makes every button larger through the
app's sizes. Registers itself in `kiosk.screens.templates.TEMPLATES` as `rating`.
"""

from __future__ import annotations

from kivy.uix.gridlayout import GridLayout

from kiosk.flows.viewmodel import ViewModel
from kiosk.screens.templates import TEMPLATES, Template
from kiosk.screens.widgets import KButton

STARS = {5: "★★★★★", 4: "★★★★", 3: "★★★", 2: "★★", 1: "★"}


class RatingLevels(Template):
    def update(self, vm: ViewModel) -> None:
        self.clear_widgets()
        box = GridLayout(cols=1, spacing=self.app.s_spacing * 0.6)
        for score in vm.data.get("levels") or (5, 4, 3, 2, 1):
            kind = "success" if score >= 4 else "choice" if score == 3 else "danger"
            b = KButton(text=f"{STARS.get(score, '')}  {self.tr(f'rating.level.{score}')}", kind=kind,
                        action_id=f"rate:{score}", height=self.app.s_target * 1.1)
            b.bind(on_release=lambda btn: self.host.act("rate", score=int(btn.action_id.split(":", 1)[1])))
            box.add_widget(b)
        self.add_widget(self.scroll(box))


TEMPLATES["rating"] = RatingLevels
