"""The invented persons of the demo data (citizens, callers, a register subject).

One list, without Django imports, so that ``scripts/check_logs.py`` can look for them in the logs of
a whole test run: none of these names may ever be logged.
"""

DEMO_CITIZENS = ("Aylin Demir", "Jonas Becker", "Marta Nowak", "Samir Haddad", "Lea Schubert",
                 "Olena Kovalenko", "Peter Krause", "Fatma Yılmaz", "Hannah Vogel", "Dmitri Iwanow",
                 "Chiara Rossi", "Tim Berger")
DEMO_CALLER = "Nina Nowak"
DEMO_WAITING = "Petra Wartemann"
DEMO_REGISTER_SUBJECT = "Dieter Drohmann"

DEMO_PERSONS = (*DEMO_CITIZENS, DEMO_CALLER, DEMO_WAITING, DEMO_REGISTER_SUBJECT)
