"""The status history, pure: transitions, recording, the park as of a date, days in stage."""

import datetime as dt

import pandas as pd
import pytest

from parkgis.errors import DataError, VocabularyError
from parkgis.land.gaps import gaps_table
from parkgis.model.history import (
    Event,
    StatusChange,
    check_transition,
    choose_entity,
    days_in_stage,
    diff_events,
    events_frame,
    events_of,
    park_as_of,
    read_events_frame,
    record_changes,
    status_since,
)

D = dt.date
AT = "2024-06-01T09:00:00+08:00"


def change(entity_id, field, to, day, **kw):
    return StatusChange(entity_id, field, to, day, kw.pop("by", "王工"), **kw)


def status_of(park, pid):
    parcels = park.parcels.set_index("parcel_id")
    return parcels.loc[pid, "acquisition_status"]


# --------------------------------------------------------------------------- transitions


@pytest.mark.parametrize(
    ("field", "old", "new", "kind"),
    [
        ("acquisition_status", "unacquired", "acquiring", "next"),
        ("acquisition_status", "sold", "supplied", "next"),
        ("acquisition_step", None, "pre_notice", "first"),
        ("title_status", None, "issued", "first"),  # blank is "not recorded": any first value
        ("acquisition_step", "dossier", "approved", "next"),
        ("title_status", "none", "applying", "next"),
        ("stage", "signed", "site_prep", "next"),
        ("stage", "negotiating", "stalled", "stall"),
        ("stage", "operating", "stalled", "stall"),
        ("stage", "stalled", "construction", "resume"),
        ("funding_status", "missing", "in_place", "change"),
        ("funding_status", "in_place", "missing", "change"),
    ],
)
def test_plain_transitions_need_no_force(field, old, new, kind):
    assert check_transition(field, old, new) == kind


@pytest.mark.parametrize(
    ("field", "old", "new", "kind", "words"),
    [
        ("acquisition_status", "unacquired", "acquired", "skip", "skips acquiring"),
        ("acquisition_status", "acquiring", "supplied", "skip", "skips acquired, leveled, listed"),
        ("acquisition_status", "acquired", "acquiring", "back", "goes back"),
        ("title_status", "issued", "none", "back", "goes back"),
        ("stage", "construction", "signed", "back", "goes back"),
        ("acquisition_status", "快征完了", "acquired", "correction", "not a known term"),
        ("acquisition_step", "survey", None, "clear", "clears"),
    ],
)
def test_skips_steps_back_and_corrections_need_force(field, old, new, kind, words):
    with pytest.raises(DataError, match=words) as err:
        check_transition(field, old, new)
    assert "--force" in str(err.value)
    assert check_transition(field, old, new, force=True) == kind


def test_nothing_to_record_and_unknown_terms():
    with pytest.raises(DataError, match="already acquired"):
        check_transition("acquisition_status", "acquired", "acquired", force=True)
    with pytest.raises(VocabularyError, match="'快完了'"):
        check_transition("acquisition_status", "acquired", "快完了", force=True)
    with pytest.raises(DataError, match="no history"):
        check_transition("land_use", "industrial", "storage")


# --------------------------------------------------------------------------- recording


def test_record_changes_numbers_events_and_updates_the_tables(small_park):
    changes = [
        change("B", "acquisition_status", "征收中", D(2024, 3, 1), evidence="元府征〔2024〕3号"),
        change("B", "acquisition_step", "pre_notice", D(2024, 3, 1)),
        change("P1", "title_status", "applying", D(2024, 4, 2), note="材料已交"),
    ]
    new, events = record_changes(small_park, changes, recorded_at=AT)
    assert [(e.seq, e.entity, e.entity_id, e.field, e.from_, e.to) for e in events] == [
        (1, "parcel", "B", "acquisition_status", "unacquired", "acquiring"),
        (2, "parcel", "B", "acquisition_step", None, "pre_notice"),
        (3, "project", "P1", "title_status", None, "applying"),
    ]
    assert events[0].evidence == "元府征〔2024〕3号" and events[2].note == "材料已交"
    assert not any(e.forced for e in events)
    assert status_of(new, "B") == "acquiring"
    row = new.parcels.set_index("parcel_id").loc["B"]
    assert (row["acquisition_step"], row["status_date"]) == ("pre_notice", "2024-03-01")
    assert new.projects.loc[0, "title_status"] == "applying"
    assert new.events["seq"].tolist() == [1, 2, 3]
    # The input is a value: untouched.
    assert status_of(small_park, "B") == "unacquired" and len(small_park.events) == 0
    # The next change continues the numbers and reads the value left by the last.
    _, [more] = record_changes(
        new, [change("B", "acquisition_status", "acquired", D(2024, 5, 1))], recorded_at=AT
    )
    assert (more.seq, more.from_) == (4, "acquiring")


def test_forced_changes_are_recorded_as_forced(small_park):
    with pytest.raises(DataError, match=r"parcel B: acquisition_status unacquired → supplied"):
        record_changes(
            small_park, [change("B", "acquisition_status", "supplied", D(2024, 3, 1))],
            recorded_at=AT,
        )  # fmt: skip
    _, [event] = record_changes(
        small_park,
        [change("B", "acquisition_status", "supplied", D(2024, 3, 1), force=True)],
        recorded_at=AT,
    )
    assert event.forced
    _, [plain] = record_changes(
        small_park,
        [change("B", "acquisition_status", "acquiring", D(2024, 3, 1), force=True)],
        recorded_at=AT,
    )
    assert not plain.forced  # --force given, but a plain step needs none


def test_a_change_may_not_rewrite_the_past(small_park):
    park, _ = record_changes(
        small_park, [change("B", "acquisition_status", "acquiring", D(2024, 3, 1))], recorded_at=AT
    )
    with pytest.raises(DataError, match="last changed on 2024-03-01"):
        record_changes(
            park, [change("B", "acquisition_status", "acquired", D(2024, 2, 28))], recorded_at=AT
        )
    # Same day is fine; other fields have their own line.
    record_changes(
        park, [change("B", "acquisition_status", "acquired", D(2024, 3, 1))], recorded_at=AT
    )
    record_changes(park, [change("B", "title_status", "none", D(2024, 1, 1))], recorded_at=AT)


def test_who_and_which(small_park):
    with pytest.raises(DataError, match="--by NAME"):
        record_changes(
            small_park, [change("B", "acquisition_status", "acquiring", D(2024, 3, 1), by=" ")],
            recorded_at=AT,
        )  # fmt: skip
    with pytest.raises(DataError, match="no parcels with id 'Z'"):
        record_changes(
            small_park, [change("Z", "acquisition_status", "acquiring", D(2024, 3, 1))],
            recorded_at=AT,
        )  # fmt: skip
    assert choose_entity("C", "title_status", {"parcel": 1, "project": 0}) == "parcel"
    assert choose_entity("P1", "title_status", {"parcel": 0, "project": 1}) == "project"
    with pytest.raises(DataError, match="--entity parcel or --entity project"):
        choose_entity("X", "title_status", {"parcel": 1, "project": 1})
    assert choose_entity("X", "title_status", {"parcel": 1, "project": 1}, entity="project")
    with pytest.raises(DataError, match="more than once"):
        choose_entity("X", "acquisition_status", {"parcel": 2, "project": 0})
    with pytest.raises(DataError, match="no history"):
        choose_entity("X", "stage", {"parcel": 1, "project": 0}, entity="parcel")


# --------------------------------------------------------------------------- as of


@pytest.fixture
def logged_park(small_park):
    """B: unacquired → acquiring on 1 March → acquired on 1 May; P1 stalls on 10 April."""
    park, _ = record_changes(
        small_park,
        [
            change("B", "acquisition_status", "acquiring", D(2024, 3, 1)),
            change("P1", "stage", "stalled", D(2024, 4, 10)),
            change("B", "acquisition_status", "acquired", D(2024, 5, 1)),
        ],
        recorded_at=AT,
    )
    return park


@pytest.mark.parametrize(
    ("day", "status", "since", "stage", "events"),
    [
        (D(2024, 2, 29), "unacquired", None, "construction", 0),
        (D(2024, 3, 1), "acquiring", "2024-03-01", "construction", 1),
        (D(2024, 4, 30), "acquiring", "2024-03-01", "stalled", 2),
        (D(2024, 5, 1), "acquired", "2024-05-01", "stalled", 3),
        (D(2030, 1, 1), "acquired", "2024-05-01", "stalled", 3),
    ],
)
def test_park_as_of(logged_park, day, status, since, stage, events):
    then = park_as_of(logged_park, day)
    assert status_of(then, "B") == status
    assert then.parcels.set_index("parcel_id").loc["B", "status_date"] == since
    assert then.projects.loc[0, "stage"] == stage
    assert len(then.events) == events
    assert status_of(then, "A") == "acquired"  # no events: as stored


def test_park_as_of_does_not_need_the_tables_to_reflect_the_log(logged_park, small_park):
    # The log with the tables as they were before it (a crash between the two): as-of still right.
    stale = small_park.replace(events=logged_park.events)
    for day in (D(2024, 2, 1), D(2024, 3, 15), D(2024, 6, 1)):
        assert status_of(park_as_of(stale, day), "B") == status_of(
            park_as_of(logged_park, day), "B"
        )


def test_days_in_stage_from_the_log_else_status_date(logged_park):
    park = logged_park.replace(
        parcels=logged_park.parcels.assign(status_date=["2024-01-01", "2024-05-01", "2023-06-30"])
    )
    days = days_in_stage(park, today=D(2024, 6, 30))
    assert days.to_dict() == {"A": 181, "B": 60, "C": 366}  # B from the log: 1 May → 30 June
    since = status_since(park, today=D(2024, 4, 1))
    assert since["B"] == "2024-03-01"  # the change of 1 May is not yet known on 1 April
    assert status_since(park, today=D(2024, 2, 1))["B"] is None
    # The gaps count days the same way.
    table = gaps_table(park, today=D(2024, 6, 30)).set_index("parcel_id")
    assert table.loc["B", "days_in_stage"] == 60 and table.loc["B", "since"] == "2024-05-01"


# --------------------------------------------------------------------------- import as events


def test_diff_events_turns_a_newer_ledger_into_events(logged_park):
    newer = logged_park.parcels.copy()
    newer["acquisition_status"] = ["leveled", "supplied", "supplied"]
    projects = logged_park.projects.assign(stage=["construction"], funding_status=["in_place"])
    new = logged_park.replace(parcels=newer, projects=projects)
    events = diff_events(logged_park, new, date=D(2024, 6, 1), by="导入", recorded_at=AT,
                         note="2024年6月台账")  # fmt: skip
    assert [(e.seq, e.entity_id, e.field, e.from_, e.to, e.forced) for e in events] == [
        (4, "A", "acquisition_status", "acquired", "leveled", False),
        (5, "B", "acquisition_status", "acquired", "supplied", True),  # skips three steps
        (6, "P1", "stage", "stalled", "construction", False),  # resumes
    ]  # funding_status: the old park has no such column, so nothing to compare
    assert {e.note for e in events} == {"2024年6月台账"}
    with pytest.raises(DataError, match="B: acquisition_status last changed on 2024-05-01"):
        diff_events(logged_park, new, date=D(2024, 4, 1), by="导入", recorded_at=AT)
    bad = logged_park.replace(parcels=newer.assign(acquisition_status="快好了"))
    with pytest.raises(DataError, match="'快好了' in the new ledger is not a known term"):
        diff_events(logged_park, bad, date=D(2024, 6, 1), by="导入", recorded_at=AT)


# --------------------------------------------------------------------------- the log as data


def test_events_round_trip_through_text_and_are_checked():
    event = Event("parcel", "A", "acquisition_status", None, "unacquired", D(2024, 1, 2), AT,
                  "王工", evidence="文件1", seq=7)  # fmt: skip
    frame = events_frame([event])
    text = frame.astype(str).where(frame.notna(), None)
    back = read_events_frame(text, where="events.csv")
    pd.testing.assert_frame_equal(back, frame)
    assert events_of(back) == [event]
    bad = text.copy()
    bad.loc[0, "to"] = "征收中"
    with pytest.raises(
        DataError, match=r"events.csv row 1: to '征收中' is not a acquisition_status"
    ):
        read_events_frame(bad, where="events.csv")
    two = pd.concat([text, text], ignore_index=True)
    with pytest.raises(DataError, match="row 2: seq 7 does not follow 7"):
        read_events_frame(two, where="events.csv")


# --------------------------------------------------------------------------- dates to come


def test_a_change_dated_after_the_day_it_is_recorded_is_refused(small_park):
    # AT is 2024-06-01: a change effective on 2 June has not happened yet.
    future = change("B", "acquisition_status", "acquiring", D(2024, 6, 2))
    message = (
        "parcel B: the change of acquisition_status is dated 2024-06-02, after today "
        "(2024-06-01): a recorded change must already have happened"
    )
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        record_changes(small_park, [future], recorded_at=AT)
    same_day = change("B", "acquisition_status", "acquiring", D(2024, 6, 1))
    _, [event] = record_changes(small_park, [same_day], recorded_at=AT)
    assert event.date == D(2024, 6, 1)


def test_an_update_dated_after_today_is_refused(logged_park):
    new = logged_park.replace(parcels=logged_park.parcels.assign(acquisition_status="leveled"))
    with pytest.raises(DataError, match=r"the update of the park is dated 2099-01-01, after "
                                        r"today \(2024-06-01\)"):  # fmt: skip
        diff_events(logged_park, new, date=D(2099, 1, 1), by="导入", recorded_at=AT)


# --------------------------------------------------------------------------- dated fields


def test_park_as_of_honours_signed_on_without_any_event(small_park):
    projects = pd.DataFrame(
        {
            "project_id": ["P1", "P2", "P3", "P4"],
            "stage": ["construction", "signed", "negotiating", "signed"],
            "signed_on": ["2024-03-01", "2024-05-30", "2024-07-01", None],
        }
    )
    park = small_park.replace(projects=projects)
    assert len(park.events) == 0
    then = park_as_of(park, D(2024, 4, 30))
    # P2 was signed on 30 May: on 30 April its stage is not known (and it is not signed);
    # P3 still negotiating; P4 has no date: as stored.
    assert then.projects["stage"].tolist() == ["construction", None, "negotiating", "signed"]
    assert park_as_of(park, D(2024, 5, 30)).projects["stage"].tolist() == projects["stage"].tolist()


def test_park_as_of_keeps_a_logged_stage_over_signed_on(logged_park):
    # P1's stage has events (stalled on 10 April): the log says what it was.
    park = logged_park.replace(projects=logged_park.projects.assign(signed_on=["2024-05-01"]))
    assert park_as_of(park, D(2024, 4, 30)).projects.loc[0, "stage"] == "stalled"


def test_park_as_of_leaves_out_allocations_made_later(small_park):
    allocations = pd.DataFrame(
        {
            "project_id": ["P1", "P1"],
            "parcel_id": ["C", "B"],
            "mu": [15.0, 5.0],
            "allocated_on": ["2024-01-10", "2024-05-02"],
        }
    )
    park = small_park.replace(allocations=allocations)
    then = park_as_of(park, D(2024, 5, 1)).allocations
    assert then[["parcel_id", "mu"]].values.tolist() == [["C", 15.0]]
    assert len(park_as_of(park, D(2024, 5, 2)).allocations) == 2


def test_park_as_of_refuses_a_status_taken_after_the_day(small_park):
    parcels = small_park.parcels.assign(status_date=["2024-01-01", "2024-05-01", None])
    park = small_park.replace(parcels=parcels)
    with pytest.raises(
        DataError,
        match=r"parcel\(s\) B \(2024-05-01\) took their acquisition "
        r"status after that date.*--as-of on or after 2024-05-01",
    ):
        park_as_of(park, D(2024, 4, 30))  # fmt: skip
    assert status_of(park_as_of(park, D(2024, 5, 1)), "B") == status_of(park, "B")
