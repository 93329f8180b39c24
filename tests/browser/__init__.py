"""Real-browser suite: Debian's Chromium judges cors_gate and explain's predictions."""
