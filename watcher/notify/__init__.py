"""Delivery: rendering (render.py, templates/), Telegram (telegram.py, telegram_commands.py),
email (email.py), the console sink (console.py), and the outbox on top of them.

Only telegram.py and telegram_commands.py import python-telegram-bot; nothing from it
leaves them. Modules are imported by their full name (nothing is imported here), so
``import watcher.notify.render`` does not pull in PTB.
"""
