"""Custom Rasa components. Imported by Rasa (Python 3.10 venv), never by the bot."""
