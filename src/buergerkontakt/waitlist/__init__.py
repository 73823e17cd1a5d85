"""Waitlist (Bedarfsmeldung): needs registered when nothing fits, offered freed capacity in order."""
