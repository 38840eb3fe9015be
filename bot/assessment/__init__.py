"""The self-assessment: questionnaire files, answers and scores, the star chart, next steps.

models and queries hold the data; questionnaire, scoring, rules, next_steps, chart the rules;
telegram/ the questions and the mentor's view of results.
"""
