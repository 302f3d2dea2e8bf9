"""Values as people write them parse; anything else is reported with line, column and reason."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from churnguard.errors import InputError
from churnguard.ingest import read_file, read_mapping_file, resolve_mapping, validate
from churnguard.schema import KINDS


def _validate(tmp_path: Path, kind: str, text: str, mapping: dict[str, str] | None = None):
    path = tmp_path / "in.csv"
    path.write_text(text, encoding="utf-8")
    raw = read_file(path)
    table = KINDS[kind]
    return validate(raw, table, resolve_mapping(raw.headers, table, mapping, source=raw.name))


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2024-01-05", date(2024, 1, 5)),
        ("2024/1/5", date(2024, 1, 5)),
        ("2024年1月5日", date(2024, 1, 5)),
        ("2024.01.05", date(2024, 1, 5)),
        ("20240105", date(2024, 1, 5)),
        ("2024-01-05 13:45:00", date(2024, 1, 5)),
        ("2024/1/5 8:05", date(2024, 1, 5)),
        ("45296", date(2024, 1, 5)),  # Excel serial day number
        ("45296.75", date(2024, 1, 5)),
        ("  2024-01-05 ", date(2024, 1, 5)),
    ],
)
def test_dates_people_write(tmp_path: Path, written: str, expected: date) -> None:
    v = _validate(tmp_path, "transactions", f"customer_id,occurred_at,amount\nC1,{written},1\n")
    assert v.error_count == 0, v.errors
    assert v.data.column("occurred_at").to_pylist() == [expected]


@pytest.mark.parametrize(
    ("written", "expected"),
    [("¥1,234.50", 1234.5), ("￥1,234.50", 1234.5), ("1,234", 1234.0), ("-56.00", -56.0),
     ("(56.00)", -56.0), ("1234.5元", 1234.5), ("RMB 99", 99.0), ("0", 0.0)],
)
def test_amounts_people_write(tmp_path: Path, written: str, expected: float) -> None:
    v = _validate(tmp_path, "transactions", f'customer_id,occurred_at,amount\nC1,2024-01-05,"{written}"\n')
    assert v.error_count == 0, v.errors
    assert v.data.column("amount").to_pylist() == [expected]


def test_every_bad_value_is_reported_with_line_column_value_reason(tmp_path: Path) -> None:
    text = "客户编号,下单日期,金额\nC1,2024-01-05,10\nC2,2024-02-30,10\n,2024-01-05,abc\nC4,,5\n"
    v = _validate(tmp_path, "transactions", text)
    assert v.data is None
    assert v.error_count == 4
    got = [(e.line, e.column, e.value) for e in v.errors]
    assert got == [(3, "下单日期", "2024-02-30"), (4, "客户编号", None), (4, "金额", "abc"), (5, "下单日期", None)]
    assert "not a date" in v.errors[0].reason
    assert v.errors[1].reason == "customer_id is required but empty"
    assert all(e.file.endswith("in.csv") for e in v.errors)


def test_error_list_is_capped_but_counted(tmp_path: Path) -> None:
    rows = "".join(f"C{i},bad,1\n" for i in range(120))
    v = _validate(tmp_path, "transactions", "customer_id,occurred_at,amount\n" + rows)
    assert v.error_count == 120
    assert len(v.errors) == 50
    assert v.errors[0].line == 2 and v.errors[-1].line == 51


def test_enumerations_accept_chinese_labels_and_reject_others(tmp_path: Path) -> None:
    v = _validate(tmp_path, "surveys", "客户编号,调查日期,满意度,推荐意愿\nC1,2024-01-01,高度满意,9\nC2,2024-01-01,2,10\n")
    assert v.error_count == 0, v.errors
    assert v.data.column("satisfaction").to_pylist() == [5, 2]
    v = _validate(tmp_path, "surveys", "customer_id,answered_at,satisfaction,nps\nC1,2024-01-01,6,11\nC2,2024-01-01,3.5,7.5\n")
    assert [(e.line, e.column) for e in v.errors] == [(2, "satisfaction"), (2, "nps"), (3, "satisfaction"), (3, "nps")]
    v = _validate(tmp_path, "churn-reasons", "客户编号,记录日期,流失原因,跳槽类型\nC1,2024-01-01,价格,完全跳槽\nC2,2024-01-01,倒闭,partial\nC3,2024-01-01,weather,\n")
    assert v.error_count == 1 and v.errors[0].line == 4 and "unknown churn reason" in v.errors[0].reason
    v = _validate(tmp_path, "churn-reasons", "客户编号,记录日期,流失原因\nC1,2024-01-01,价格\nC2,2024-01-01,业务收缩\n")
    assert v.data.column("reason").to_pylist() == ["price", "business_change"]
    v = _validate(tmp_path, "customers", "客户编号,客户类型\nC1,大客户\nC2,regular\nC3,VIP\n")
    assert [(e.line, e.value) for e in v.errors] == [(4, "VIP")]


def test_cross_column_and_duplicate_key_checks(tmp_path: Path) -> None:
    text = ("合同编号,客户编号,开始日期,结束日期,合同金额\nK1,C1,2024-01-01,2024-12-31,1000\n"
            "K2,C1,2024-06-01,2024-01-01,1000\nK1,C2,2024-01-01,2024-12-31,5\n")
    v = _validate(tmp_path, "contracts", text)
    assert [(e.line, e.column) for e in v.errors] == [(3, "结束日期"), (4, "合同编号")]
    assert "before it starts" in v.errors[0].reason
    assert v.errors[1].reason == "duplicate contract_id (first on line 2)"


def test_identical_lines_are_two_purchases_with_stable_keys(tmp_path: Path) -> None:
    text = "customer_id,occurred_at,amount\nC1,2024-01-05,10\nC1,2024/1/5,10.00\nC1,2024-01-05,11\n"
    a = _validate(tmp_path, "transactions", text).data.column("record_key").to_pylist()
    b = _validate(tmp_path, "transactions", text).data.column("record_key").to_pylist()
    assert a == b
    assert len(set(a)) == 3
    assert a[0].split(":")[0] == a[1].split(":")[0]  # same content, different occurrence


def test_mapping_synonyms_overrides_and_missing_columns(tmp_path: Path) -> None:
    table = KINDS["transactions"]
    m = resolve_mapping(["客户ID", "交易日期", "金额（元）", "备注"], table)
    assert m == {"customer_id": "客户ID", "occurred_at": "交易日期", "amount": "金额（元）"}
    m = resolve_mapping(["Customer ID", "Order Date", "Revenue"], table)
    assert m == {"customer_id": "Customer ID", "occurred_at": "Order Date", "amount": "Revenue"}
    mf = tmp_path / "map.toml"
    mf.write_text('[columns]\namount = "实收"\noccurred_at = "记账日"\n', encoding="utf-8")
    m = resolve_mapping(["客户编号", "记账日", "实收", "金额"], table, read_mapping_file(mf))
    assert m["amount"] == "实收" and m["occurred_at"] == "记账日"
    with pytest.raises(InputError, match=r"no column for 'amount'.*--mapping"):
        resolve_mapping(["客户编号", "日期", "amout"], table)
    with pytest.raises(InputError, match="nearest header: 'amout'"):
        resolve_mapping(["客户编号", "日期", "amout"], table)
    with pytest.raises(InputError, match="unknown column 'amont'.*did you mean 'amount'"):
        resolve_mapping(["a"], table, {"amont": "a"})
    with pytest.raises(InputError, match="no such header"):
        resolve_mapping(["a"], table, {"amount": "b"})
    mf.write_text("amount = 3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"\[columns\]"):
        read_mapping_file(mf)


def test_churn_reasons_carry_a_second_reason_recoverable_and_attempts(tmp_path: Path) -> None:
    text = ("客户编号,记录日期,流失原因,次要原因,可挽回,联系次数\nC1,2024-01-01,价格,服务,是,2\n"
            "C2,2024-01-01,倒闭,,否,1\nC3,2024-01-01,price,weather,maybe,1.5\n")
    v = _validate(tmp_path, "churn-reasons", text)
    assert [(e.line, e.column) for e in v.errors] == [(4, "次要原因"), (4, "可挽回"), (4, "联系次数")]
    v = _validate(tmp_path, "churn-reasons", text.rsplit("C3", 1)[0])
    assert v.data.column("secondary_reason").to_pylist() == ["service", None]
    assert v.data.column("recoverable").to_pylist() == [True, False]
    assert v.data.column("attempts").to_pylist() == [2, 1]


def test_a_row_without_the_later_columns_keeps_the_key_it_had_before_them(tmp_path: Path) -> None:
    """A churn-reasons file imported before secondary_reason … confidence existed gets the same
    record keys again (else importing it a second time after the upgrade would double it)."""
    import dataclasses

    text = "customer_id,recorded_at,reason,notes\nC1,2024-01-01,price,涨价\nC1,2024-01-01,price,涨价\n"
    now = _validate(tmp_path, "churn-reasons", text).data.column("record_key").to_pylist()
    table = KINDS["churn-reasons"]
    before = dataclasses.replace(table, columns=tuple(c for c in table.columns if not c.later))
    path = tmp_path / "in.csv"
    raw = read_file(path)
    then = validate(raw, before, resolve_mapping(raw.headers, before, None, source=raw.name))
    assert now == then.data.column("record_key").to_pylist() and len(set(now)) == 2
    set_later = _validate(tmp_path, "churn-reasons", "customer_id,recorded_at,reason,notes,attempts\n"
                          "C1,2024-01-01,price,涨价,3\n").data.column("record_key").to_pylist()
    assert set_later[0] != now[0]
