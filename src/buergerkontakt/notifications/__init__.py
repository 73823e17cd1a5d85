"""Outgoing messages to citizens: the SMS gateway adapter (e-mail goes through Django's mailers)."""
