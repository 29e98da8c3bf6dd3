"""Which delivery day a run predicts: the next one whose DAM (10:00 Central the day before) is
still open, across both DST changes; given dates and backfills never use hindsight."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from ercot_dart.features.asof import AsOfRules
from ercot_dart.predict import dam_close, next_delivery_day, plan_targets

RULES = AsOfRules()


@pytest.mark.parametrize(
    ("issue", "day"),
    [
        ("2024-07-16T09:59-05:00", date(2024, 7, 17)),  # a minute before the DAM closes
        ("2024-07-16T10:00-05:00", date(2024, 7, 18)),  # closed: the day after
        ("2024-07-16T00:05-05:00", date(2024, 7, 17)),
        ("2024-07-16T23:05-05:00", date(2024, 7, 18)),
        ("2024-03-09T09:30-06:00", date(2024, 3, 10)),  # CST, for the spring-forward day
        ("2024-03-10T09:30-05:00", date(2024, 3, 11)),  # CDT on the day itself
        ("2024-11-02T09:59-05:00", date(2024, 11, 3)),  # for the fall-back day
        ("2024-11-03T01:30-06:00", date(2024, 11, 4)),  # inside the repeated hour (CST)
        ("2024-11-03T01:30-05:00", date(2024, 11, 4)),  # inside the repeated hour (CDT)
    ],
)
def test_the_next_open_delivery_day(issue, day):
    assert next_delivery_day(pd.Timestamp(issue), RULES) == day


def test_the_dam_close_is_ten_central_the_day_before():
    assert dam_close(date(2024, 7, 17), RULES) == pd.Timestamp("2024-07-16T15:00Z")
    assert dam_close(date(2024, 1, 17), RULES) == pd.Timestamp("2024-01-16T16:00Z")


def test_a_given_day_still_open_is_issued_at_the_run():
    issue = pd.Timestamp("2024-07-16T13:00Z")
    [t] = plan_targets(issue, RULES, delivery_date=date(2024, 7, 20))
    assert (t.delivery_day, t.issue_time_utc) == (date(2024, 7, 20), issue)


def test_a_closed_day_is_issued_at_its_own_issue_time_not_with_hindsight():
    issue = pd.Timestamp("2024-07-30T13:00Z")
    [t] = plan_targets(issue, RULES, delivery_date=date(2024, 7, 20))
    assert t.issue_time_utc == pd.Timestamp("2024-07-19T14:00Z")  # 09:00 CDT the day before


def test_a_backfill_gives_every_day_each_as_of_its_issue_time():
    targets = plan_targets(
        pd.Timestamp("2024-11-20T12:00Z"),
        RULES,
        backfill_start=date(2024, 11, 2),
        backfill_end=date(2024, 11, 4),
    )
    assert [t.delivery_day for t in targets] == [date(2024, 11, d) for d in (2, 3, 4)]
    assert [t.issue_time_utc for t in targets] == [
        pd.Timestamp("2024-11-01T14:00Z"),  # 09:00 CDT
        pd.Timestamp("2024-11-02T14:00Z"),  # 09:00 CDT, the day before the fall-back
        pd.Timestamp("2024-11-03T15:00Z"),  # 09:00 CST
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"backfill_start": date(2024, 1, 2)}, "needs both"),
        (
            {"backfill_start": date(2024, 1, 2), "backfill_end": date(2024, 1, 1)},
            "before backfill_start",
        ),
        (
            {
                "delivery_date": date(2024, 1, 1),
                "backfill_start": date(2024, 1, 1),
                "backfill_end": date(2024, 1, 2),
            },
            "not both",
        ),
        ({"backfill_start": date(2020, 1, 1), "backfill_end": date(2024, 1, 1)}, "longer than"),
    ],
)
def test_bad_ranges_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plan_targets(pd.Timestamp("2024-07-16T13:00Z"), RULES, **kwargs)


def test_a_target_days_after_the_stores_latest_prices_is_refused_naming_them(tmp_path):
    from ercot_dart.features.store import hourly_path
    from ercot_dart.predict import MAX_PRICE_AGE_DAYS, Target, check_prices

    for day in (date(2024, 7, 1), date(2024, 7, 2)):
        hourly_path(tmp_path, day).parent.mkdir(parents=True)
        hourly_path(tmp_path, day).touch()  # the listing looks for the file, not its rows
    issued = pd.Timestamp("2024-07-02T14:00Z") + pd.Timedelta(days=MAX_PRICE_AGE_DAYS)
    check_prices(tmp_path, Target(date(2024, 7, 5), issued))  # still recent enough
    late = Target(date(2024, 7, 6), issued + pd.Timedelta(days=1))
    with pytest.raises(ValueError, match="its latest are of 2024-07-02"):
        check_prices(tmp_path, late)
    with pytest.raises(ValueError, match="it has none"):
        check_prices(tmp_path / "empty", late)


def test_a_day_further_ahead_than_the_models_forecast_is_refused():
    from ercot_dart.predict import MAX_LEAD_DAYS, Target, check_lead

    issue = pd.Timestamp("2024-07-16T13:00Z")  # 08:00 CDT on 07-16
    check_lead(Target(date(2024, 7, 16 + MAX_LEAD_DAYS), issue))
    with pytest.raises(ValueError, match="2024-07-20 is 4 days after its issue time"):
        check_lead(Target(date(2024, 7, 20), issue))
