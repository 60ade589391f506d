"""Every refusal is a sentence in the reader's language: Chinese unless English is asked for, the same code
and values either way, so a client can say it again in its own language."""

from __future__ import annotations

import uuid

from rulebook.messages import render


def chinese(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Accept-Language": "zh-CN,zh;q=0.9"}


def test_without_accept_language_the_server_answers_in_chinese(client):
    response = client.post(
        "/api/v1/auth/token", data={"username": "nobody", "password": "x" * 12}, headers={"Accept-Language": ""}
    )
    assert response.status_code == 401
    assert response.json() == {"detail": "用户名或密码错误。", "code": "bad_credentials", "params": {}}
    assert response.headers["content-language"] == "zh-CN"


def test_the_same_refusal_in_each_language_with_the_same_code_and_values(world, client):
    site = world.site(world.org())
    officer = world.officer(site)
    body = {"site_id": str(site.id), "category": "water", "severity": "red", "description": "水管破裂"}
    zh = client.put(f"/api/v1/hazards/{uuid.uuid4()}", json=body, headers=chinese(world.headers(officer)))
    en = client.put(f"/api/v1/hazards/{uuid.uuid4()}", json=body, headers=world.headers(officer))
    assert zh.status_code == en.status_code == 422
    assert zh.json()["code"] == en.json()["code"] == "unknown_category"
    assert zh.json()["params"] == en.json()["params"]
    assert zh.json()["detail"] == (
        "没有“water”这个类别；可用的类别：燃气、用电、电梯、高空坠物、消防、电动自行车充电、房屋结构。"
    )
    assert en.json()["detail"].startswith("Unknown category 'water'")
    assert render(zh.json()["code"], zh.json()["params"], "en") == en.json()["detail"]


def test_a_malformed_body_is_explained_field_by_field_in_chinese(world, client):
    admin = world.admin()
    response = client.post(
        "/api/v1/organizations", json={"kind": "property", "owner": "x"}, headers=chinese(world.headers(admin))
    )
    assert response.status_code == 422 and response.json()["code"] == "invalid_request"
    assert response.json()["detail"] == "请检查请求：“name”为必填项；“owner”不是可以在这里设置的字段。"


def test_missing_records_and_addresses_are_said_in_chinese(world, client):
    officer = world.officer(world.site(world.org()))
    missing = client.get(f"/api/v1/hazards/{uuid.uuid4()}", headers=chinese(world.headers(officer)))
    assert missing.status_code == 404 and missing.json()["detail"] == "未找到该隐患。"
    nowhere = client.get("/api/v1/nowhere", headers=chinese(world.headers(officer)))
    assert nowhere.status_code == 404 and "/docs" in nowhere.json()["detail"]
    assert "没有这个地址" in nowhere.json()["detail"]


def test_a_role_refusal_names_the_roles_in_chinese(world, client):
    officer = world.officer(world.site(world.org()))
    response = client.get("/api/v1/users", headers=chinese(world.headers(officer)))
    assert response.status_code == 403
    assert response.json()["detail"] == "只有管理员可以进行此操作；您当前的身份是安全员。"


def test_every_error_the_server_can_raise_has_its_sentences():
    """Read the server's source: every DomainError raised with a code, and every subclass's default code, has a
    zh and an en sentence (a missing one would turn a refusal into a 500)."""
    import ast
    from pathlib import Path

    from rulebook.messages import MESSAGES
    from server import errors

    classes = {
        name for name, obj in vars(errors).items() if isinstance(obj, type) and issubclass(obj, errors.DomainError)
    }
    codes: dict[str, str] = {}
    for path in sorted(Path(errors.__file__).parent.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(getattr(b, "id", "") in classes for b in node.bases):
                classes.add(node.name)
                for stmt in node.body:
                    if isinstance(stmt, ast.Assign) and getattr(stmt.targets[0], "id", "") == "code":
                        codes[stmt.value.value] = f"{path.name}:{stmt.lineno}"
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in classes and node.args:
                if isinstance(node.args[0], ast.Constant):  # (errors.from_rule passes a rule's code on)
                    codes[node.args[0].value] = f"{path.name}:{node.lineno}"
    assert len(codes) > 40
    missing = {code: where for code, where in codes.items() if code not in MESSAGES}
    assert missing == {}
