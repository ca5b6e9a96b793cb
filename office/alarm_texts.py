"""Alarm details in the operator's language.

Stations and the office's own rules write alarm details in English (they are also log text). The
console shows them through `detail(lang, text)`: `PATTERNS` (a registry) maps each known English
wording to its Simplified Chinese form (and `EN` turns the door events' codes into sentences), with the variable parts (board, lock, seqs, device names)
carried over. Unknown wording is shown as it came, so nothing is hidden.
"""

from __future__ import annotations

import re

EN: dict[str, str] = {  # the station's event codes, as an operator reads them in English
    "uncommanded_open": "Door opened without a release (board {0}, lock {1})",
    "door_left_open": "Door left open (board {0}, lock {1})",
    "not_opened": "Released but the door did not open (board {0}, lock {1})",
}

PATTERNS: list[tuple[re.Pattern[str], str]] = [(re.compile(p), zh) for p, zh in (
    (r"^uncommanded_open board (\S+) lock (\S+)$", "未经授权的开门（锁控板 {0}，锁 {1}）"),
    (r"^door_left_open board (\S+) lock (\S+)$", "柜门未关（锁控板 {0}，锁 {1}）"),
    (r"^not_opened board (\S+) lock (\S+)$", "开锁后柜门未打开（锁控板 {0}，锁 {1}）"),
    (r"^station dropped events (\S+)\.\.(\S+) \((\S+)\) from its bounded outbox$",
     "服务站的待发事件队列已满，丢弃了事件 {0}–{1}（共 {2} 条）"),
    (r"^the broker published the station's last will$", "服务站与消息服务器的连接意外中断（遗嘱消息）"),
    (r"^audit chain went back from record (\S+) to (\S+): records deleted or store rolled back \(events (\S+) and (\S+)\)$",
     "审计链从第 {0} 条退回到第 {1} 条：记录被删除或数据被回滚（事件 {2} 与 {3}）"),
    (r"^audit record (\S+) changed its hash: records rewritten \(events (\S+) and (\S+)\)$",
     "审计记录第 {0} 条的哈希值改变：记录被改写（事件 {1} 与 {2}）"),
    (r"^door opened without a release \(forced\?\)$", "柜门在未开锁的情况下被打开（疑似撬门）"),
    (r"^door opened without a release$", "柜门在未开锁的情况下被打开"),
    (r"^loaded compartment found open at start$", "启动时发现已投件的格口柜门开着"),
    (r"^released but the door did not open: (.*)$", "已开锁但柜门未打开：{0}"),
    (r"^(\w+): (.*)$", "{0}：{1}"),  # a device health detail, e.g. "printer: paper out"
)]

DOOR_CODE = re.compile(r"^(" + "|".join(EN) + r") board (\S+) lock (\S+)$")

WORDS = {"printer": "打印机", "cabinet": "智能柜", "reader": "读卡器", "camera": "摄像头", "paper out": "缺纸",
         "scanner": "高拍仪", "docprinter": "文档打印机"}


def detail(lang: str, text: str | None) -> str:
    text = text or ""
    if lang == "en":
        m = DOOR_CODE.match(text)
        return EN[m.group(1)].format(m.group(2), m.group(3)) if m else text
    if not text:
        return text
    for pattern, zh in PATTERNS:
        m = pattern.match(text)
        if m:
            return zh.format(*(WORDS.get(g, g) for g in m.groups()))
    return text
