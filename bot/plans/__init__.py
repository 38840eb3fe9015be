"""Individual activation plans: goals, tasks, deadlines, requests for more time, the audit trail,
task and booking reminders and the mentors' digest.

models, reminder_rows hold the data; rules, reminders, csv_import the rules; telegram/ the young
person's plan, the mentor's editing and the reminder sender.
"""
