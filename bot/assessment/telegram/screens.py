"""Texts and buttons of the self-assessment, in the current locale. No database here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.numbers import format_decimal

from bot.assessment import scoring
from bot.assessment.chart import Radar, Series
from bot.assessment.questionnaire import Domain, Kind
from bot.assessment.rules import DomainFigures, MenteeView, Results, Screen
from bot.assessment.scoring import DomainScore
from bot.assessment.telegram.callbacks import AssessAction, AssessCb, MenteeResultsCb, StepCb
from bot.i18n.formatting import babel_locale, fmt_date, put_date
from bot.kit import keyboards as kb
from bot.kit.callbacks import Page
from bot.kit.texts import _, button_name, esc, name_or_someone, ngettext, paragraphs

ARROWS = {1: "⬆️", 0: "➡️", -1: "⬇️"}
# Free text shown to a mentor is cut here, so the message stays short and within Telegram's limit.
SHOWN_TEXT = 300


def title() -> str:
    return _("📝 <b>Self-assessment</b>")


def short_title() -> str:
    return _("⚡ <b>Short check</b>")


def question(screen: Screen) -> tuple[str, InlineKeyboardMarkup]:
    head = f"{short_title() if screen.short else title()} · {screen.position} / {screen.total}"
    if screen.domain is not None:
        head += f"\n<i>{esc(_(screen.domain.name))}</i>"

    def data(act: AssessAction, option: int = 0) -> str:
        return AssessCb(act=act, id=screen.assessment_id, q=screen.question.index, o=option).pack()

    # Rows as lists, not with InlineKeyboardBuilder: its export deep-copies every button, and
    # this screen is drawn on every answer (bench/assessment.py).
    if screen.awaiting_share:
        return paragraphs(head, _("Thank you! May your mentor read what you wrote?")), kb.only(
            [kb.button(_("✅ Yes, my mentor may read it"), data(AssessAction.MENTOR_MAY_READ))],
            [kb.button(_("🔒 No, only for me"), data(AssessAction.MENTOR_MAY_NOT_READ))],
            [kb.button(_("⏸ Pause"), data(AssessAction.PAUSE))],
        )
    body = _(screen.question.text)
    if screen.question.kind == Kind.TEXT:
        body = paragraphs(body, _("🔒 Only you can read it, unless you allow your mentor."))
    rows = []
    for index, option in enumerate(screen.question.options):
        mark = "✓ " if option.id == screen.chosen else ""
        rows.append([kb.button(mark + _(option.label), data(AssessAction.ANSWER, index))])
    moves = []
    if screen.can_go_back:
        moves.append(kb.button(_("⬅️ Back"), data(AssessAction.BACK)))
    if screen.question.skippable:
        moves.append(kb.button(_("⏭ Skip"), data(AssessAction.SKIP)))
    if moves:
        rows.append(moves)
    rows.append([kb.button(_("⏸ Pause"), data(AssessAction.PAUSE))])
    return paragraphs(head, body), InlineKeyboardMarkup(inline_keyboard=rows)


def nudge(screen: Screen) -> tuple[str, InlineKeyboardMarkup]:
    text, markup = question(screen)
    return paragraphs(_("Please use the buttons 👇"), text), markup


def intro(
    question_count: int, short_count: int, completed: int
) -> tuple[str, InlineKeyboardMarkup]:
    """The short check first (a first picture in under two minutes), the full one after it."""
    parts = [title()]
    if short_count:
        parts.append(
            ngettext(
                "⚡ <b>Short check</b>: {n} question, one for each area of life. "
                "Under 2 minutes, a first picture.",
                "⚡ <b>Short check</b>: {n} questions, one for each area of life. "
                "Under 2 minutes, a first picture.",
                short_count,
            ).format(n=short_count)
        )
    parts += [
        ngettext(
            "📝 <b>Full self-assessment</b>: {n} short question about school, work, housing, "
            "money, health, documents, everyday skills and the people around you. It shows "
            "more, and you can pause at any time.",
            "📝 <b>Full self-assessment</b>: {n} short questions about school, work, housing, "
            "money, health, documents, everyday skills and the people around you. It shows "
            "more, and you can pause at any time.",
            question_count,
        ).format(n=question_count),
        _("There are no wrong answers. Your mentor sees your results, to help you."),
    ]
    if completed:
        parts.append(
            ngettext(
                "You have done it {n} time. Doing it again shows what changed.",
                "You have done it {n} times. Doing it again shows what changed.",
                completed,
            ).format(n=completed)
        )
    rows = []
    if short_count:
        rows.append([kb.nav(_("⚡ Short check · 2 min"), Page.AS_SHORT)])
    rows += [[kb.nav(_("📝 Full self-assessment"), Page.AS_FULL)], [kb.back_to_menu()]]
    return paragraphs(*parts), kb.only(*rows)


def resume(screen: Screen) -> tuple[str, InlineKeyboardMarkup]:
    text = _("You stopped at question {n} of {total}. Continue where you left off?").format(
        n=screen.position, total=screen.total
    )
    markup = kb.only(
        [kb.nav(_("▶️ Continue"), Page.AS_GO)],
        [kb.nav(_("🔄 Start again"), Page.AS_NEW)],
        [kb.back_to_menu()],
    )
    return paragraphs(title(), text), markup


def paused(screen: Screen) -> tuple[str, InlineKeyboardMarkup]:
    text = _(
        "⏸ Paused at question {n} of {total}. Come back any time: Menu → 📝 Self-assessment."
    ).format(n=screen.position, total=screen.total)
    return text, kb.only([kb.nav(_("▶️ Continue"), Page.AS_GO)], [kb.back_to_menu()])


def _score_line(domain: Domain, score: DomainScore, arrow: str = "") -> str:
    name = esc(_(domain.name))
    if score.level is None:
        return f"{scoring.bar(None)} {name} · " + _("no answers")
    return f"{scoring.bar(score.level)}{arrow} {name}"


def scores(results: Results) -> str:
    lines = [_("Your results, from 1 to 5:")]
    lines += [_score_line(domain, score) for domain, score, _prev in results.domains()]
    return "\n".join(lines)


def short_note() -> str:
    """Says what a short check's results are, so nobody takes one answer for the whole story."""
    return _(
        "⚡ This was the short check: one question for each area, a first picture. The full "
        "self-assessment asks more and shows more; your mentor will see which one it was."
    )


def done(results: Results) -> str:
    if results.short:
        return paragraphs(_("✅ <b>Done! Thank you.</b>"), short_note(), scores(results))
    return paragraphs(_("✅ <b>Done! Thank you.</b>"), scores(results))


def _names(domains: Sequence[Domain]) -> str:
    return ", ".join(esc(_(d.name)) for d in domains)


def summary(
    results: Results, links: Mapping[str, str] | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    """`links`: next steps that can be booked here, step id -> the button's callback data."""
    links = links or {}
    parts = []
    if results.strengths:
        parts.append(_("💪 <b>Going well:</b> {domains}").format(domains=_names(results.strengths)))
    if results.needs:
        parts.append(
            _("🤝 <b>Needs support most:</b> {domains}").format(domains=_names(results.needs))
        )
    builder = InlineKeyboardBuilder()
    if results.steps:
        lines = [_("👉 <b>Next steps.</b> Tap one and I will tell your mentor.")]
        if links:
            lines = [
                _("👉 <b>Next steps.</b> Tap one: 🗓 you can book it here, 🙋 I tell your mentor.")
            ]
        for step in results.steps:
            lines.append(f"• <b>{esc(_(step.title))}</b>: {esc(_(step.description))}")
            mark = "✓ " if step.id in results.requested else "🙋 "
            data = StepCb(id=results.assessment.id, step=step.id).pack()
            if step.id in links:
                mark, data = "🗓 ", links[step.id]
            builder.row(kb.button(mark + _(step.title), data))
        parts.append("\n".join(lines))
    else:
        parts.append(_("👍 No next step stands out right now. Keep going!"))
    if results.short:
        builder.row(kb.nav(_("📝 Full self-assessment"), Page.AS_FULL))
    builder.row(kb.nav(_("📈 My progress"), Page.PROGRESS), kb.back_to_menu())
    return paragraphs(*parts), builder.as_markup()


def chart(results: Results, locale: str, tz: str) -> Radar:
    """Labels, legend and title in the person's language; the previous assessment beside."""
    domains = results.questionnaire.domains
    completed = results.assessment.completed_at
    # Two legend lines that differ even when both were done on the same day.
    current = Series(
        _("now ({date})").format(date=fmt_date(completed, locale, tz)) if completed else "",
        [results.scores[d.id].average if d.id in results.scores else None for d in domains],
    )
    previous = None
    if results.previous is not None and results.previous_scores is not None:
        earlier = results.previous_scores
        when = results.previous.completed_at
        previous = Series(
            _("before ({date})").format(date=fmt_date(when, locale, tz)) if when else "",
            [earlier[d.id].average if d.id in earlier else None for d in domains],
        )
    name = _("Short check") if results.short else _("Self-assessment")
    return Radar(name, [_(d.name) for d in domains], current, previous)


def chart_caption(results: Results, locale: str, tz: str) -> str:
    caption = _("📊 Your chart: the further out, the better it goes.")
    if results.previous is not None and results.previous.completed_at is not None:
        caption += "\n" + _("Dashed line: last time ({date}).").format(
            date=fmt_date(results.previous.completed_at, locale, tz)
        )
    return caption


def _changes(results: Results) -> list[str]:
    lines = []
    for domain, score, previous in results.domains():
        moved = scoring.change(score.average, previous.average if previous else None)
        arrow = ARROWS[moved] if moved is not None else ""
        lines.append(_score_line(domain, score, arrow))
    return lines


def progress(
    results: Results | None, completed: int, locale: str, tz: str
) -> tuple[str, InlineKeyboardMarkup]:
    head = _("📈 <b>My progress</b>")
    if results is None or results.assessment.completed_at is None:
        text = paragraphs(head, _("You have not finished a self-assessment yet."))
        return text, kb.only([kb.nav(_("📝 Self-assessment"), Page.ASSESS)], [kb.back_to_menu()])
    count = put_date(
        ngettext(
            "Self-assessments finished: {n}. Last one: {date}.",
            "Self-assessments finished: {n}. Last one: {date}.",
            completed,
        ),
        "date",
        fmt_date(results.assessment.completed_at, locale, tz),
    ).format(n=completed)
    if results.short:
        count = paragraphs(count, short_note())
    if results.previous is not None and results.previous.completed_at is not None:
        since = _("Change since {date}:").format(
            date=fmt_date(results.previous.completed_at, locale, tz)
        )
        body = "\n".join([since, *_changes(results)])
        legend = _("⬆️ better · ➡️ about the same · ⬇️ harder")
        text = paragraphs(head, count, body, legend)
    else:
        text = paragraphs(
            head,
            count,
            scores(results),
            _("This is your first one. Do it again in a few months to see what changed."),
        )
    markup = kb.only(
        [kb.nav(_("👉 Next steps"), Page.AS_STEPS), kb.nav(_("📊 Chart"), Page.AS_CHART)],
        [kb.nav(_("📝 Self-assessment"), Page.ASSESS)],
        [kb.back_to_menu()],
    )
    return text, markup


def mentee_list(mentees: Sequence[tuple[int, str | None]]) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    if mentees:
        text = paragraphs(
            _("📝 <b>Self-assessments of my young people</b>"),
            _("Tap a name to see the latest results."),
        )
    else:
        text = paragraphs(
            _("📝 <b>Self-assessments of my young people</b>"),
            _("Invite a young person with a link: they open it and you are connected."),
        )
    for youth_id, name in mentees:
        builder.row(kb.button("📝 " + button_name(name), MenteeResultsCb(youth=youth_id).pack()))
    builder.row(kb.back_to_menu())
    return text, builder.as_markup()


def mentee(view: MenteeView, locale: str, tz: str) -> tuple[str, InlineKeyboardMarkup]:
    name = name_or_someone(view.youth.display_name)
    head = _("📝 <b>{name}</b> · self-assessment").format(name=name)
    markup = kb.only([kb.nav(_("⬅️ Back"), Page.M_ASSESS)], [kb.back_to_menu()])
    results = view.results
    if results is None or results.assessment.completed_at is None:
        return paragraphs(head, _("No self-assessment finished yet.")), markup
    parts = [
        head,
        _("Finished: {date}").format(date=fmt_date(results.assessment.completed_at, locale, tz)),
    ]
    if results.short:
        parts.append(
            _("⚡ A short check: one question for each area, a first picture, not the full one.")
        )
    lines = [_("Results, from 1 to 5:")]
    lines += (
        _changes(results)
        if results.previous is not None
        else [_score_line(d, s) for d, s, _p in results.domains()]
    )
    parts.append("\n".join(lines))
    if results.needs:
        parts.append(
            _("🤝 <b>Needs support most:</b> {domains}").format(domains=_names(results.needs))
        )
    if results.steps:
        parts.append(
            _("👉 <b>Suggested:</b> {steps}").format(
                steps=", ".join(esc(_(s.title)) for s in results.steps)
            )
        )
    asked = [s for s in results.steps if s.id in results.requested]
    if asked:
        parts.append(
            _("🙋 <b>Asked you about:</b> {steps}").format(
                steps=", ".join(esc(_(s.title)) for s in asked)
            )
        )
    for shared in view.shared:
        words = shared.text
        shown = (
            esc(words[:SHOWN_TEXT] + ("…" if len(words) > SHOWN_TEXT else ""))
            if words
            else (_("(cannot be read: the encryption key has changed)"))
        )
        # The heading names what was asked, without the instruction of how to answer it.
        heading = shared.question.title or shared.question.text
        parts.append(f"💬 <i>{esc(_(heading))}</i>\n{shown}")
    return paragraphs(*parts), markup


def _decimal(value: float, locale: str) -> str:
    return str(format_decimal(value, format="0.0", locale=babel_locale(locale)))


def figures(
    people: int, rows: Sequence[DomainFigures], locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    parts = [
        _("📊 <b>Self-assessments</b>"),
        ngettext(
            "{n} young person has finished at least one. Their latest counts.",
            "{n} young people have finished at least one. Each one's latest counts.",
            people,
        ).format(n=people),
    ]
    for row in rows:
        if row.average is None:
            continue
        levels = " · ".join(str(count) for count in row.levels)
        parts.append(
            "\n".join(
                [
                    f"<b>{esc(_(row.domain.name))}</b>",
                    ngettext(
                        "average {average} from {n} person",
                        "average {average} from {n} people",
                        row.people,
                    ).format(average=_decimal(row.average, locale), n=row.people),
                    _("levels 1–5: {levels}").format(levels=levels),
                ]
            )
        )
    return paragraphs(*parts), kb.menu_only()
