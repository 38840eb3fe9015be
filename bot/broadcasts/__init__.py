"""Announcements and mentors' messages: composing, the audience, scheduling and the durable
per-recipient sending queue.

models and queries hold the data; rules the rules; telegram/ the composer and the sender.
"""
