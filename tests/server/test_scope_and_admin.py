"""Who sees what, admin management, and bodies that try to set what they may not."""

from __future__ import annotations

import uuid


def report(world, client, officer, site, description="电动车在楼道内充电"):
    hazard_id = uuid.uuid4()
    response = client.put(
        f"/api/v1/hazards/{hazard_id}",
        headers=world.headers(officer),
        json={"site_id": str(site.id), "category": "ebike", "severity": "red", "description": description},
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_property_user_gets_404_on_another_companys_hazard_and_none_in_lists(world, client):
    company_a, company_b = world.org(), world.org()
    site_a, site_b = world.site(company_a), world.site(company_b)
    officer = world.officer(site_a, site_b)
    a = report(world, client, officer, site_a)
    b = report(world, client, officer, site_b)
    staff_a = world.user("property", company_a)
    headers = world.headers(staff_a)
    hidden = client.get(f"/api/v1/hazards/{b['id']}", headers=headers)
    missing = client.get(f"/api/v1/hazards/{uuid.uuid4()}", headers=headers)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    listed = client.get("/api/v1/hazards", headers=headers).json()["items"]
    assert [h["id"] for h in listed] == [a["id"]]
    # asking for the other company by filter does not widen the scope
    assert (
        client.get("/api/v1/hazards", params={"organization_id": str(company_b.id)}, headers=headers).json()["items"]
        == []
    )
    assert [s["id"] for s in client.get("/api/v1/sites", headers=headers).json()["items"]] == [str(site_a.id)]
    assert client.get(f"/api/v1/sites/{site_b.id}", headers=headers).status_code == 404


def test_officer_sees_only_assigned_sites_and_their_records(world, client):
    mine, other = world.site(), world.site()
    officer = world.officer(mine)
    colleague = world.officer(other)
    own = report(world, client, officer, mine)
    theirs = report(world, client, colleague, other)
    headers = world.headers(officer)
    assert [s["id"] for s in client.get("/api/v1/sites", headers=headers).json()["items"]] == [str(mine.id)]
    assert client.get(f"/api/v1/sites/{other.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/hazards/{theirs['id']}", headers=headers).status_code == 404
    assert [h["id"] for h in client.get("/api/v1/hazards", headers=headers).json()["items"]] == [own["id"]]
    admin = world.admin()
    assert len(client.get("/api/v1/hazards", headers=world.headers(admin)).json()["items"]) == 2


def test_admin_builds_the_reference_data_through_the_api(world, client):
    admin = world.admin()
    h = world.headers(admin)
    org = client.post("/api/v1/organizations", json={"name": "沈阳安居物业服务有限公司", "kind": "property"}, headers=h)
    assert org.status_code == 201, org.text
    dup = client.post("/api/v1/organizations", json={"name": "沈阳安居物业服务有限公司", "kind": "property"}, headers=h)
    assert dup.status_code == 409 and "exists" in dup.json()["detail"]
    site = client.post(
        "/api/v1/sites",
        headers=h,
        json={
            "name": "富民社区",
            "kind": "community",
            "district": "浑南区",
            "street": "五三街道",
            "address": "富民街18号",
            "lat": 41.745,
            "lon": 123.449,
            "property_org_id": org.json()["id"],
            "profile": {"has_gas": True, "has_elevators": True, "building_count": 24},
        },
    )
    assert site.status_code == 201, site.text
    officer = client.post(
        "/api/v1/users",
        headers=h,
        json={"username": "zhangwei", "password": "a-long-password", "role": "officer", "display_name": "张伟"},
    )
    assert officer.status_code == 201 and "password" not in officer.text
    staff = client.post(
        "/api/v1/users", headers=h, json={"username": "anju", "password": "a-long-password", "role": "property"}
    )
    assert staff.status_code == 422 and staff.json()["code"] == "organization_required"
    assignment = client.post(
        "/api/v1/assignments",
        headers=h,
        json={"officer_id": officer.json()["id"], "site_id": site.json()["id"], "visits_per_week": 2},
    )
    assert assignment.status_code == 201
    again = client.post(
        "/api/v1/assignments", headers=h, json={"officer_id": officer.json()["id"], "site_id": site.json()["id"]}
    )
    assert again.status_code == 409
    patched = client.patch(f"/api/v1/sites/{site.json()['id']}", headers=h, json={"profile": {"has_gas": False}})
    assert patched.status_code == 200 and patched.json()["profile"]["has_gas"] is False
    token = client.post("/api/v1/auth/token", data={"username": "zhangwei", "password": "a-long-password"}).json()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"}).json()
    assert me["site_ids"] == [site.json()["id"]]


def test_mass_assignment_is_refused_with_the_field_named(world, client):
    site = world.site()
    officer = world.officer(site)
    sneaky = client.put(
        f"/api/v1/hazards/{uuid.uuid4()}",
        headers=world.headers(officer),
        json={
            "site_id": str(site.id),
            "category": "fire",
            "severity": "red",
            "description": "灭火器过期",
            "status": "closed",
            "organization_id": str(uuid.uuid4()),
        },
    )
    assert sneaky.status_code == 422
    assert "'status' is not a field you can set here" in sneaky.json()["detail"]
    me = client.patch("/api/v1/me", headers=world.headers(officer), json={"role": "admin"})
    assert me.status_code == 422 and "'role'" in me.json()["detail"]
    assert client.get("/api/v1/me", headers=world.headers(officer)).json()["role"] == "officer"
    admin = world.admin()
    org = client.post(
        "/api/v1/organizations",
        headers=world.headers(admin),
        json={"name": "X物业", "kind": "property", "id": str(uuid.uuid4())},
    )
    assert org.status_code == 422


def test_only_admins_manage(world, client):
    officer = world.officer()
    response = client.post(
        "/api/v1/organizations", headers=world.headers(officer), json={"name": "Y物业", "kind": "property"}
    )
    assert response.status_code == 403 and response.json()["params"]["roles"] == ["admin"]
    assert "coordinator" in response.json()["detail"]
    assert client.get("/api/v1/users", headers=world.headers(officer)).status_code == 403


def test_errors_have_one_shape_and_junk_is_never_a_500(world, client):
    officer = world.officer(world.site())
    h = world.headers(officer)
    for method, url, kwargs in [
        ("get", "/api/v1/nowhere", {}),
        ("get", "/api/v1/hazards/not-a-uuid", {}),
        (
            "put",
            f"/api/v1/inspections/{uuid.uuid4()}",
            {"content": b"{not json", "headers": {**h, "content-type": "application/json"}},
        ),
        ("put", f"/api/v1/inspections/{uuid.uuid4()}", {"json": [1, 2, 3]}),
        ("put", f"/api/v1/inspections/{uuid.uuid4()}", {"json": {"answers": "lots"}}),
        ("get", "/api/v1/hazards", {"params": {"limit": "-5"}}),
        ("get", "/api/v1/hazards", {"params": {"cursor": "%%%"}}),
        ("get", "/api/v1/rounds", {"params": {"week": "2026-W99"}}),
        ("delete", "/api/v1/me", {}),
    ]:
        kwargs.setdefault("headers", h)
        response = getattr(client, method)(url, **kwargs)
        assert 400 <= response.status_code < 500, (url, response.status_code, response.text)
        body = response.json()
        assert isinstance(body["detail"], str) and body["detail"] and isinstance(body["code"], str), body


def test_checklists_list_seven_categories_with_versions(world, client):
    officer = world.officer()
    listed = client.get("/api/v1/checklists", headers=world.headers(officer)).json()
    assert sorted(c["category"] for c in listed) == sorted(
        ["gas", "electricity", "elevator", "falling_objects", "fire", "ebike", "structure"]
    )
    assert all(c["item_count"] >= 8 and c["title"]["zh"] and c["version"] >= 1 for c in listed)
    gas = client.get("/api/v1/checklists/gas", headers=world.headers(officer)).json()
    assert gas["items"][0]["id"].startswith("gas.") and gas["items"][0]["prompt"]["zh"]
    old = client.get("/api/v1/checklists/gas", params={"version": gas["version"]}, headers=world.headers(officer))
    assert old.json() == gas
    assert client.get("/api/v1/checklists/plumbing", headers=world.headers(officer)).status_code == 404
