"""Workshops and counselling: seats, the waitlist and its offers, counselling hours and time off,
attendance, calendar files (.ics) and the workshop import.

models and queries hold the data; rules (seats and waitlist), workshops, counselling, ics,
workshop_import the rules; telegram/ the young person's, staff's and counsellor's screens.
"""
