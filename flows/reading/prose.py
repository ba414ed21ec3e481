"""Figures a narrative report states in its prose, as candidates for catalog indicators.

"Tổng số đảng viên triệu tập 107 đồng chí", "đã giải quyết 130/130 ý kiến, đạt 100%",
"Tỷ lệ hộ nghèo đến cuối năm 2022 là 3,07%": a report's sentences state indicator values,
but nothing in them is certain the way a sheet's row is. :func:`extract_candidates` reads
the paragraphs of a :class:`~flows.reading.document.Document` (tables are read elsewhere,
as sheets) and gives a :class:`~flows.reading.rows.Candidate` for each figure it can tie
to an indicator, with how sure it is; a person confirms or rejects each one.

How a figure is read, precision before recall:

- the paragraphs are grouped into blocks (a paragraph cut by a page break is joined to its
  end), each under its heading path ("PHẦN THỨ NHẤT > II > 4.3"); sections of targets
  ("Nhiệm vụ, giải pháp ...") are passed over;
- each block is split into sentences (". " before a capital, keeping "1.117.213.000",
  "91,5", "TP.") and clauses (";"); references, dates and term names are set aside
  (:mod:`flows.reading.prose_periods`);
- a figure is a number with its qualifier ("trên", "hơn", "dưới", "khoảng"/"gần"), its
  fraction ("130/130") and its unit ("%", "900 triệu đồng", "đồng chí", "chi bộ");
- it is tied to the indicator of the nearest cue before it in its clause, with no other
  figure between (:mod:`flows.reading.phrasings`), or of a cue right after it, else to
  the figure before it when only a connector stands between ("98 đồng chí, tỷ lệ 91,5%"
  gives the share), else to its list's lead ("Số đảng viên mới kết nạp từng năm: năm
  2016: 6 đồng chí; ..."); the unit must fit the indicator (a percent never fills a count);
  context phrases cap the confidence (one project's money, one meeting's share, a
  proposal, a part of the ward) or rule the figure out (a target);
- "đạt 60% so với Nghị quyết" is the achievement of the figure before it, not a figure;
- the period is the one the sentence states, else the one stated earlier in the
  paragraph (its lead "Năm 2022: ..."), or by a lead ending in ":" for the paragraphs
  under it, else None: the report's own period;
- a figure stated twice is one candidate; one indicator and period with two values gives
  both, each less sure.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace

from flows.domain.catalog import Catalog, Indicator
from flows.reading.document import BODY, FOOTNOTE, Document
from flows.reading.phrasings import (
    BLOCK_BEFORE_CUE,
    MONEY,
    PART_ONLY,
    PER_EVENT,
    PERCENT,
    PROPOSAL,
    SINGLE_PROJECT,
    TARGET,
    TARGET_SECTION,
    Cue,
    PhraseMatcher,
    Phrasings,
    aligned_fold,
    load_phrasings,
    matcher_for,
    phrase_words,
    words_of,
)
from flows.reading.prose_figures import OTHER_UNIT, Figure, figure_value, read_figures
from flows.reading.prose_layout import Block, prose_blocks, sentence_spans
from flows.reading.prose_periods import (
    LIST_NUMBER,
    PeriodSpan,
    period_spans,
    reference_spans,
)
from flows.reading.rows import Candidate

# Confidence: lowered per word beyond the third and per comma between cue and figure, for a
# bare number filling a count, for a unit reached through a related indicator, for text in
# a footnote, for a figure inherited from the one before; multiplied when one indicator
# and period is stated with two values.
GAP_WORD_PENALTY = 0.01
GAP_COMMA_PENALTY = 0.03
MAX_GAP_COMMAS = 2
BARE_NUMBER_PENALTY = 0.15
RELATED_UNIT_PENALTY = 0.05
FOOTNOTE_PENALTY = 0.1
INHERITED_PENALTY = 0.05
LEAD_PENALTY = 0.1  # a list item tied through its list's lead
LEAD_GAP_WORDS = 4  # "Số đảng viên mới kết nạp từng năm:": words between the cue and the colon
CONFLICT_FACTOR = 0.8


# Between a figure and the next one that takes its indicator's share: "98 đồng chí, tỷ lệ 91,5%".
_CONNECTOR_ONLY = re.compile(
    r"^[\s,:(]*(?:(?:tuong ung|dat ty le|dat|ty le|bang|chiem|la|voi|so tien)[\s,:]*)*$"
)
# Words that may stand between a figure's unit and a cue after it ("217.213.000đ là ...").
_AFTER_CONNECTORS = re.compile(
    r"(?:\s*(?:la|dat danh hieu|dat chuan|dat|duoc cong nhan|duoc|thuoc|cua|deu|giu vung danh hieu|"
    r"giu vung|danh hieu))*\s*"
)
_ACHIEVEMENT_AFTER = re.compile(
    r"\s*(?:so voi\s*)?(?:nghi quyet|nq|chi tieu|ke hoach|kh|muc tieu)(?![\w])"
)
_COMPARISON_AFTER = re.compile(r"\s*so voi(?![\w])")
_CHANGE_WORDS_BEFORE = re.compile(r"(?:vuot|tang|giam|cao hon|thap hon|hon|nhieu hon|it hon)\s*$")
_NOUN_END = re.compile(
    r"\s*(?:$|[,.;:)(\]!?\d]|(?:va|voi|trong|la|chiem|tang|giam|so voi|tu|cho|tai|o|den|"
    r"cua|thuoc|duoc|deu|nam|thang|quy|vao)(?![\w]))"
)
# What may stand before a list item's figure: "năm 2016: 6 đồng chí" once its period is out.
_ITEM_LEAD = re.compile(r"[\s:,\-–+]*")
# "giảm từ 12,4% năm 2015 xuống còn 4,16%": the second figure is the same indicator's.
_SAME_INDICATOR_AGAIN = re.compile(r"^[\s,]*(?:xuong con|xuong|len den|len|con|den)[\s:]*$")
_WORDS = re.compile(r"[a-z0-9]+")
_SPACES = re.compile(r"\s*")
_RIGHT_AFTER = re.compile(r"[\s(]*")


@dataclass
class _Found:
    """A figure tied to an indicator, before duplicates are merged."""

    indicator: Indicator
    value: float
    figure: Figure
    confidence: float
    period_code: str | None
    sentence: str
    location: str
    paragraph: int
    figure_text: str
    order: tuple[int, int]
    achievement: float | None = None


def _target_headings(matcher: PhraseMatcher) -> list[re.Pattern[str]]:
    return [pattern for pattern, _ in matcher.context_patterns.get(TARGET_SECTION, [])]


def _gap_words(text: str) -> int:
    return len(_WORDS.findall(text))


@dataclass
class _Context:
    """What one block gives the tying of its figures: text, spans, cues and phrases."""

    text: str
    folded: str
    sentences: list[tuple[int, int]]
    clause_cuts: list[int]
    figures: list[Figure]
    cues: list[tuple[int, int, list[Cue]]]
    spans: dict[str, list[tuple[int, int, float]]]
    statements: list[PeriodSpan]
    words: list[tuple[int, int, str]]

    def without_periods(self, start: int, end: int) -> str:
        """The folded text between two positions, its period statements blanked out."""
        chars = list(self.folded[start:end])
        for span in self.statements:
            for position in range(max(span.start, start), min(span.end, end)):
                chars[position - start] = " "
        return "".join(chars)

    def clause_of(self, position: int) -> tuple[int, int]:
        sentence = self.sentence_of(position)
        start, end = sentence
        for cut in self.clause_cuts:
            if sentence[0] <= cut <= position:
                start = cut
            elif position < cut < sentence[1]:
                end = cut
                break
        return start, end

    def sentence_of(self, position: int) -> tuple[int, int]:
        for span in self.sentences:
            if span[0] <= position < span[1]:
                return span
        return self.sentences[-1]

    def period_between(self, start: int, end: int) -> bool:
        """True when a period statement (not a baseline) stands between two positions."""
        return any(
            start <= span.start and span.end <= end and not span.baseline
            for span in self.statements
        )

    def follows_a_figure(self, position: int) -> bool:
        """True when a figure ends right before ``position`` (spaces or "(" between)."""
        return any(
            figure.end <= position and _RIGHT_AFTER.fullmatch(self.folded[figure.end : position])
            for figure in self.figures
        )

    def figure_between(self, start: int, end: int) -> bool:
        return any(start <= figure.number_start and figure.end <= end for figure in self.figures)


def _cue_before(
    context: _Context, matcher: PhraseMatcher, figure: Figure, clause: tuple[int, int]
) -> tuple[Indicator, float] | None:
    """The indicator of the nearest usable cue before the figure in its clause."""
    options = [
        (start, end, cues)
        for start, end, cues in context.cues
        if clause[0] <= start and end <= figure.start
    ]
    options.sort(key=lambda option: (option[1], option[1] - option[0]), reverse=True)
    blocks = context.spans.get(BLOCK_BEFORE_CUE, [])
    for start, end, cues in options:
        if context.figure_between(end, figure.start):
            return None  # a figure took the cue first: the one before is not ours
        gap = context.without_periods(end, figure.start)  # "Tỷ lệ hộ nghèo đến cuối năm 2022 là"
        words, commas = _gap_words(gap), gap.count(",")
        if commas > MAX_GAP_COMMAS:
            return None
        if any(
            clause[0] <= b_start < start
            and (b_end > start or not context.folded[b_end:start].strip())
            for b_start, b_end, _ in blocks
        ):
            continue  # "đăng ký Gia đình học tập", "tổng chi ngân sách xã": not the cue's figure
        best: tuple[Indicator, float] | None = None
        for cue in cues:
            if words > cue.max_gap_words:
                continue
            if cue.after and not _after_matches(context.folded, figure.number_end, cue.after):
                continue
            if cue.unit_words and figure.unit_word not in cue.unit_words:
                continue
            indicator = matcher.catalog.get(cue.indicator_code)
            related = matcher.related(indicator, figure.unit_class) if indicator else None
            if related is None:
                continue
            confidence = cue.confidence - GAP_WORD_PENALTY * max(0, words - 3)
            confidence -= GAP_COMMA_PENALTY * commas
            confidence -= RELATED_UNIT_PENALTY if related is not indicator else 0.0
            if best is None or confidence > best[1]:
                best = (related, confidence)
        if best is not None:
            return best
    return None


_AFTER_PATTERNS: dict[str, re.Pattern[str]] = {}


def _after_matches(folded: str, position: int, after: str) -> bool:
    pattern = _AFTER_PATTERNS.get(after)
    if pattern is None:
        words = phrase_words(after)
        body = r"[\s,“”\"'‘’«»\-–—]+".join(re.escape(word) for word in words)
        pattern = _AFTER_PATTERNS[after] = re.compile(r"\s*" + body + r"(?![\w])")
    match = pattern.match(folded, position)
    # The words must end the figure's noun: "312 hộ kinh doanh" is no "… hộ".
    return match is not None and _NOUN_END.match(folded, match.end()) is not None


def _cue_after(
    context: _Context, matcher: PhraseMatcher, figure: Figure
) -> tuple[Indicator, float] | None:
    """The indicator of a cue right after the figure ("4/4 Tổ dân phố đạt Tổ dân phố văn hóa")."""
    folded = context.folded
    starts = (figure.number_end, figure.end, _AFTER_CONNECTORS.match(folded, figure.end).end())
    for start in starts:
        position = _SPACES.match(folded, start).end()
        for end, cues in matcher.after_matches_at(folded, context.words, position):
            if _NOUN_END.match(folded, end) is None:
                continue
            for cue in sorted(cues, key=lambda cue: cue.confidence, reverse=True):
                if cue.unit_words and figure.unit_word not in cue.unit_words:
                    continue
                indicator = matcher.catalog.get(cue.indicator_code)
                related = matcher.related(indicator, figure.unit_class) if indicator else None
                if related is not None:
                    penalty = RELATED_UNIT_PENALTY if related is not indicator else 0.0
                    return related, cue.confidence - penalty
    return None


def _cap(
    context: _Context, figure: Figure, sentence: tuple[int, int], previous: tuple[int, int] | None
) -> float:
    """The highest confidence the figure's context allows (1.0 when nothing limits it)."""
    cap = 1.0

    def within(role: str, span: tuple[int, int]) -> list[float]:
        return [c for s, e, c in context.spans.get(role, []) if span[0] <= s and e <= span[1]]

    if figure.unit_class == MONEY:
        cap = min([cap, *within(SINGLE_PROJECT, sentence)])
    else:
        cap = min([cap, *within(PART_ONLY, sentence)])
    event_scope = (previous[0], sentence[1]) if previous else sentence
    cap = min([cap, *within(PER_EVENT, event_scope), *within(PROPOSAL, sentence)])
    return cap


def _location(path: tuple[str, ...], place: str, paragraph: int) -> str:
    where = f"chú thích, đoạn {paragraph}" if place == FOOTNOTE else f"đoạn {paragraph}"
    return f"{' > '.join(path)} · {where}" if path else where


def _read_block(
    block: Block, matcher: PhraseMatcher, running: str | None, block_index: int
) -> tuple[list[_Found], list[PeriodSpan]]:
    """The figures of one block tied to indicators, and the block's period statements."""
    text = block.text()
    folded = aligned_fold(text)
    masked = reference_spans(folded, matcher.not_figure_patterns)
    offset = 0
    for _, part in block.parts:
        if match := LIST_NUMBER.match(folded, offset):
            masked.append(match.span())
        offset += len(part) + 1
    statements = period_spans(folded, masked)
    masked += [(span.start, span.end) for span in statements]
    periods = [span for span in statements if not span.baseline]
    spans = {role: matcher.context_spans(folded, role) for role in matcher.context_patterns}
    words = words_of(folded)
    context = _Context(
        text=text,
        folded=folded,
        sentences=sentence_spans(text, block.forced_breaks),
        clause_cuts=[m.end() for m in re.finditer(";", folded)],
        figures=read_figures(folded, masked),
        cues=matcher.before_matches(folded, words),
        spans=spans,
        statements=statements,
        words=words,
    )
    found: list[_Found] = []
    tied: dict[int, _Found] = {}  # figure index → what it was tied to
    for index, figure in enumerate(context.figures):
        if figure.unit_class == OTHER_UNIT or figure.change:
            continue
        value = figure_value(figure)
        if value is None:
            continue
        sentence = context.sentence_of(figure.number_start)
        clause = context.clause_of(figure.number_start)
        previous_found = _previous_tied(tied, context, index, sentence)
        if _is_achievement_or_change(context, figure, clause, previous_found, value):
            continue
        if any(clause[0] <= s and e <= figure.start for s, e, _ in context.spans.get(TARGET, [])):
            continue
        ties = [_cue_before(context, matcher, figure, clause), _cue_after(context, matcher, figure)]
        tie = max((t for t in ties if t), key=lambda t: t[1], default=None)
        tie = (
            tie
            or _inherited(context, matcher, figure, index, tied, clause)
            or _lead_cue(context, matcher, figure, sentence)
        )
        if tie is None:
            continue
        indicator, confidence = tie
        if figure.unit_class is None:
            confidence -= BARE_NUMBER_PENALTY
        if block.place == FOOTNOTE:
            confidence -= FOOTNOTE_PENALTY
        previous_sentence = _previous_sentence(context, sentence)
        confidence = min(confidence, _cap(context, figure, sentence, previous_sentence))
        sentence_periods = [p for p in periods if sentence[0] <= p.start < sentence[1]]
        statement = _period_statement(context, figure, clause, sentence_periods)
        period = statement.code if statement else _running_at(periods, sentence[0], running)
        paragraph = block.paragraph_at(figure.number_start)
        record = _Found(
            indicator=indicator,
            value=value,
            figure=figure,
            confidence=max(0.05, min(0.99, confidence)),
            period_code=period,
            sentence=text[sentence[0] : sentence[1]].strip(),
            location=_location(block.path, block.place, paragraph),
            paragraph=paragraph,
            figure_text=text[figure.start : figure.end].strip(),
            order=(block_index, figure.number_start),
        )
        tied[index] = record
        found.append(record)
    return found, periods


def _is_achievement_or_change(
    context: _Context,
    figure: Figure,
    clause: tuple[int, int],
    previous: _Found | None,
    value: float,
) -> bool:
    """True for a percent that is no level: an achievement ("đạt 60% so với Nghị quyết",
    "đạt 100% kế hoạch" after a figure), kept on the figure before it, or a comparison
    ("vượt 4,3% so với Nghị quyết", "tăng 5% so với cùng kỳ")."""
    if figure.unit_class != PERCENT:
        return False
    folded = context.folded
    achievement = _ACHIEVEMENT_AFTER.match(folded, figure.end) is not None
    if _COMPARISON_AFTER.match(folded, figure.end):
        said_before = folded[max(0, figure.start - 16) : figure.start]
        if achievement and previous is not None and not _CHANGE_WORDS_BEFORE.search(said_before):
            previous.achievement = value
        return True
    if (
        achievement
        and previous is not None
        and context.clause_of(previous.figure.number_start) == clause
    ):
        previous.achievement = value
        return True
    return False


def _previous_tied(
    tied: dict[int, _Found], context: _Context, index: int, sentence: tuple[int, int]
) -> _Found | None:
    """The last figure before ``index`` in the same sentence that was tied to an indicator."""
    for earlier in range(index - 1, -1, -1):
        if context.figures[earlier].number_start < sentence[0]:
            return None
        if earlier in tied:
            return tied[earlier]
    return None


def _previous_sentence(context: _Context, sentence: tuple[int, int]) -> tuple[int, int] | None:
    position = context.sentences.index(sentence) if sentence in context.sentences else 0
    return context.sentences[position - 1] if position > 0 else None


def _inherited(
    context: _Context,
    matcher: PhraseMatcher,
    figure: Figure,
    index: int,
    tied: dict[int, _Found],
    clause: tuple[int, int],
) -> tuple[Indicator, float] | None:
    """The indicator the figure just before lends this one, when only a connector stands
    between: its share ("98 đồng chí, tỷ lệ 91,5%"), or itself again ("giảm từ 12,4% năm
    2015 xuống còn 4,16%", "năm 2021 là 3,83%, năm 2022 là 3,07%")."""
    if index == 0 or (index - 1) not in tied:
        return None
    previous = tied[index - 1]
    if previous.figure.number_start < clause[0]:
        return None
    gap = context.without_periods(previous.figure.end, figure.start)
    confidence = previous.confidence - INHERITED_PENALTY
    if figure.unit_class == previous.figure.unit_class and (
        _SAME_INDICATOR_AGAIN.match(gap)
        # "năm 2021 là 3,83%, năm 2022 là 3,07%": the same indicator for another period
        or (
            context.period_between(previous.figure.end, figure.start) and _CONNECTOR_ONLY.match(gap)
        )
    ):
        return previous.indicator, confidence
    if figure.unit_class != PERCENT or not _CONNECTOR_ONLY.match(gap):
        return None
    related = matcher.related(previous.indicator, PERCENT)
    if related is None or related is previous.indicator:
        return None
    return related, confidence


def _lead_cue(
    context: _Context, matcher: PhraseMatcher, figure: Figure, sentence: tuple[int, int]
) -> tuple[Indicator, float] | None:
    """The indicator a list's lead names for its items: "Số đảng viên mới kết nạp từng năm:
    năm 2016: 6 đồng chí; năm 2017: 7 đồng chí" (an item holds only its period)."""
    folded = context.folded
    colon = folded.find(":", sentence[0], figure.start)
    if colon < 0:
        return None
    item_start = max(
        colon, folded.rfind(";", colon, figure.start), folded.rfind(",", colon, figure.start)
    )
    if not _ITEM_LEAD.fullmatch(context.without_periods(item_start + 1, figure.start)):
        return None
    if context.figure_between(colon, item_start) and not all(
        f.unit_class == figure.unit_class
        for f in context.figures
        if colon <= f.number_start and f.end <= item_start
    ):
        return None  # the list holds other kinds of figures: no lead for all of them
    options = [
        (start, end, cues)
        for start, end, cues in context.cues
        if sentence[0] <= start and end <= colon and _gap_words(folded[end:colon]) <= LEAD_GAP_WORDS
    ]
    for _, _, cues in sorted(options, key=lambda option: option[1], reverse=True):
        for cue in sorted(cues, key=lambda cue: cue.confidence, reverse=True):
            indicator = matcher.catalog.get(cue.indicator_code)
            related = matcher.related(indicator, figure.unit_class) if indicator else None
            if related is not None and not cue.after:
                return related, cue.confidence - LEAD_PENALTY
    return None


def _period_statement(
    context: _Context, figure: Figure, clause: tuple[int, int], periods: list[PeriodSpan]
) -> PeriodSpan | None:
    """The statement of the sentence the figure reads under.

    The nearest before it with no other figure between, unless it stands right after one
    ("giảm từ 12,4% năm 2015 xuống còn 4,16%": that one's own), else the
    first after it in its clause with no figure between ("4,16% cuối năm 2019", "138 hộ
    nghèo (cuối năm 2019)"), else the nearest before it in the sentence.
    """
    before = [p for p in periods if p.end <= figure.start]
    if (
        before
        and not context.figure_between(before[-1].end, figure.start)
        and not context.follows_a_figure(before[-1].start)
    ):
        return before[-1]
    after = [p for p in periods if figure.end <= p.start < clause[1]]
    if after and not context.figure_between(figure.end, after[0].start):
        return after[0]
    return before[-1] if before else None


def _running_at(periods: list[PeriodSpan], position: int, running: str | None) -> str | None:
    """The period stated last before ``position`` in the block, else the block's own."""
    before = [span for span in periods if span.end <= position]
    return before[-1].code if before else running


def _merge(found: list[_Found], report_period_code: str | None) -> list[_Found]:
    """One candidate per (indicator, period, value), less sure where values disagree."""

    def period_key(record: _Found) -> str | None:
        return None if record.period_code == report_period_code else record.period_code

    kept: dict[tuple[str, str | None, float], _Found] = {}
    for record in sorted(found, key=lambda r: r.order):
        key = (record.indicator.indicator_code, period_key(record), record.value)
        first = kept.get(key)
        if first is None:
            kept[key] = record
            continue
        first.confidence = max(first.confidence, record.confidence)
        if first.achievement is None:
            first.achievement = record.achievement
    values: dict[tuple[str, str | None], set[float]] = {}
    for code, period, value in kept:
        values.setdefault((code, period), set()).add(value)
    merged = []
    for (code, period, _), record in kept.items():
        if len(values[(code, period)]) > 1:
            record = replace(record, confidence=record.confidence * CONFLICT_FACTOR)
        merged.append(record)
    return sorted(merged, key=lambda r: r.order)


def extract_candidates(
    document: Document,
    catalog: Catalog,
    report_period_code: str | None,
    phrasings: Phrasings | None = None,
) -> list[Candidate]:
    """The candidates the prose of ``document`` states, in reading order.

    ``report_period_code`` is the report's own period ("2020-2025-MID", "2022"): a figure
    the text states for it is the same as one stated without a period.
    """
    matcher = matcher_for(catalog, phrasings or load_phrasings())
    found: list[_Found] = []
    intro: str | None = None  # a lead ending in ":" ("Từ năm 2020 đến nay đã đầu tư:")
    last_path: tuple[str, ...] | None = None
    for block_index, block in enumerate(prose_blocks(document, _target_headings(matcher))):
        if block.path != last_path:
            intro, last_path = None, block.path
        if block.in_target_section:
            continue
        running = intro if block.place == BODY else None
        records, periods = _read_block(block, matcher, running, block_index)
        found += records
        if block.place == BODY and block.text().rstrip().endswith(":") and periods:
            intro = periods[-1].code
    return [
        Candidate(
            indicator_code=record.indicator.indicator_code,
            value=record.value,
            qualifier=record.figure.qualifier,
            denominator=record.figure.denominator,
            period_code=record.period_code,
            reported_achievement_pct=record.achievement,
            sentence=record.sentence,
            location=record.location,
            paragraph=record.paragraph,
            figure_text=record.figure_text,
            confidence=round(record.confidence, 2),
        )
        for record in _merge(found, report_period_code)
    ]


def candidate_id(file_sha256: str, candidate: Candidate) -> str:
    """A candidate's stable id: the same file, paragraph, figure and indicator give the same."""
    key = "\x1f".join(
        (file_sha256, str(candidate.paragraph), candidate.figure_text, candidate.indicator_code)
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
