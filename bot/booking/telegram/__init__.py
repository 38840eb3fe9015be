"""The chat part of booking: workshops and counselling for young people, and staff's wizards."""
