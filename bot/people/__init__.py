"""People: accounts and roles, onboarding and consent, invites and mentor links, settings,
privacy (/mydata, /deleteme), the menu, help and Help now.

models, queries (users), invite_queries, mentoring (links) hold the data; rules, onboarding,
invites, roles, profile, privacy, helplines the rules; telegram/ the chat part.
"""
