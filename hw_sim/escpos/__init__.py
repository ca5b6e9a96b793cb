"""ESC/POS from the printer's side: a byte-stream parser that keeps receipts as data
(`parser.py`) and a renderer that draws them as the printed slip (`render.py`)."""
