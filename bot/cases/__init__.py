"""Cases for caseworkers: what happens to a case (the desk), when staff work (office hours),
how urgent it is, and the figures the user is told in /status."""
