"""The self-assessment: questionnaire files, answers and scores, the star chart, next steps.

models and queries hold the data; questionnaire, scoring, rules, next_steps the rules; chart draws
the star as a PNG for the bot, chart_svg as inline SVG for the desk;
telegram/ the questions and the mentor's view of results.
"""
