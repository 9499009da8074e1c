"""Everything about Rasa: the HTTP client, its tracker store, the venv and model, the processes
that run it, and the held-out evaluation."""
