"""ScaleLab's simulation engine: a pure-Python library (no Django, channels or rq)."""
