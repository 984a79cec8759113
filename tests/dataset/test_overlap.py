"""Overlap groups: clips of one recording run that share frames are one group, others are not."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hindsight.dataset.overlap import FrameSpan, group_overlaps

spans = st.lists(
    st.builds(
        FrameSpan,
        session_id=st.sampled_from(["a", "b", None]),
        first_frame=st.integers(0, 300),
        frames=st.integers(1, 120),
    ),
    max_size=12,
)


def _share(a: FrameSpan, b: FrameSpan) -> bool:
    return a.session_id == b.session_id and max(a.first_frame, b.first_frame) < min(
        a.end_frame, b.end_frame
    )


@given(spans)
def test_clips_sharing_a_frame_are_one_group(spans: list[FrameSpan]) -> None:
    groups = group_overlaps(spans)
    for i, a in enumerate(spans):
        for j, b in enumerate(spans):
            if a.session_id is not None and _share(a, b):
                assert groups[i] == groups[j]


@given(spans)
def test_a_group_is_one_connected_run_and_no_frame_is_in_two(spans: list[FrameSpan]) -> None:
    groups = group_overlaps(spans)
    members: dict[str, list[FrameSpan]] = {}
    for span, group in zip(spans, groups, strict=True):
        if group is not None:
            members.setdefault(group, []).append(span)
    for group, run in members.items():
        assert len({s.session_id for s in run}) == 1
        # Chained: in timeline order, each span starts before the run so far has ended.
        run.sort(key=lambda s: s.first_frame)
        end = run[0].end_frame
        for span in run[1:]:
            assert span.first_frame < end
            end = max(end, span.end_frame)
        assert group == f"{run[0].session_id}:{run[0].first_frame}"
    frames_of = {
        g: {(s.session_id, f) for s in run for f in range(s.first_frame, s.end_frame)}
        for g, run in members.items()
    }
    names = list(frames_of)
    for i, g in enumerate(names):
        for h in names[i + 1 :]:
            assert not frames_of[g] & frames_of[h]


@given(spans, st.randoms())
def test_the_groups_do_not_depend_on_the_order(spans: list[FrameSpan], rnd) -> None:
    order = list(range(len(spans)))
    rnd.shuffle(order)
    shuffled = group_overlaps([spans[i] for i in order])
    assert [shuffled[order.index(i)] for i in range(len(spans))] == group_overlaps(spans)


def test_without_a_session_there_is_no_group() -> None:
    assert group_overlaps([FrameSpan(None, 0, 10), FrameSpan(None, 0, 10)]) == [None, None]


def test_chained_touching_and_separate_runs() -> None:
    groups = group_overlaps(
        [
            FrameSpan("s", 0, 100),  # A
            FrameSpan("s", 50, 100),  # B overlaps A
            FrameSpan("s", 120, 100),  # C overlaps B only: chained into A's group
            FrameSpan("s", 220, 10),  # D touches C's end: no frame shared
            FrameSpan("t", 0, 100),  # another run
        ]
    )
    assert groups == ["s:0", "s:0", "s:0", "s:220", "t:0"]
