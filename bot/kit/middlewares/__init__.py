"""Update-level middlewares, outermost first: in flight, error boundary, FSM, unit of work, user,
locale; and for buttons, AnswerFirst (see bot/dispatcher.py)."""
