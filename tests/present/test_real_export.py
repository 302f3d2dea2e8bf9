"""A real-looking export end to end: a GBK CSV from a Chinese ERP and an Excel customer list."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from churnguard.present.cli import app

runner = CliRunner()

ERP_EXPORT = (
    "订单号,客户编号,客户名称,下单日期,产品名称,数量,单价,金额（元）,业务员,备注\r\n"
    "SO-0001,KH001,上海甲贸易有限公司,2024/1/5,绿茶 250g,10,\"1,200.00\",\"￥12,000.00\",张伟,\"含税, 已开票\"\r\n"
    "SO-0002,KH002,北京乙科技,2024年2月1日,紫砂壶,2,380,760.00 ,李娜,\r\n"
    "SO-0003,KH001,上海甲贸易有限公司,45352,绿茶 250g,-1,1200,-1200.00,张伟,退货\r\n"
)


def test_gbk_erp_export_and_excel_customers(tmp_path: Path) -> None:
    ws = tmp_path / "shop"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    export = tmp_path / "销售订单导出.csv"
    export.write_bytes(ERP_EXPORT.encode("gbk"))
    r = runner.invoke(app, ["import", "transactions", str(export), "-w", str(ws), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["encoding"] == "gbk/gb18030"
    assert out["mapping"] == {
        "customer_id": "客户编号", "occurred_at": "下单日期", "amount": "金额（元）", "quantity": "数量",
        "unit_price": "单价", "product": "产品名称", "order_id": "订单号",
    }
    assert (out["rows_read"], out["rows_imported"]) == (3, 3)

    book = tmp_path / "客户名单.xlsx"
    wb = openpyxl.Workbook()
    sh = wb.active
    sh.title = "客户"
    sh.append(["客户编号", "客户名称", "客户类型", "区域", "客户经理", "建档日期", "生日"])
    sh.append(["KH001", "上海甲贸易有限公司", "大客户", "华东", "张伟", datetime(2021, 3, 1), None])
    sh.append(["KH002", "北京乙科技", "普通客户", "华北", "李娜", 44927, datetime(1980, 5, 17)])
    sh.append(["KH003", "广州丙", "VIP", "华南", "王芳", "2023-13-01", None])
    wb.save(book)
    r = runner.invoke(app, ["import", "customers", str(book), "-w", str(ws), "--lang", "en"])
    assert r.exit_code == 1
    assert "客户名单.xlsx:4: column '客户类型': value 'VIP': customer_type must be key or regular" in r.output
    assert "客户名单.xlsx:4: column '建档日期': value '2023-13-01': not a date" in r.output
    assert "2 bad value(s); nothing was imported" in r.output

    # fix the sheet and import again
    sh["C4"] = "普通客户"
    sh["F4"] = "2023-12-01"
    wb.save(book)
    r = runner.invoke(app, ["import", "customers", str(book), "-w", str(ws), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["rows_imported"] == 3

    st = json.loads(runner.invoke(app, ["status", "-w", str(ws), "--json"]).stdout)
    assert st["tables"]["customers"]["rows"] == 3
    assert st["tables"]["transactions"]["date_from"] == "2024-01-05"
    assert st["tables"]["transactions"]["date_to"] == "2024-03-01"  # serial 45352
