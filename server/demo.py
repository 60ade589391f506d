"""A demo district worth opening: 沈阳市浑南区, four streets, about sixty communities and villages, a year of
rounds, hazards in every state, notices and trainings (the history: server/demo_history.py)."""

from __future__ import annotations

import io
import random
import uuid
import zlib
from datetime import datetime, timedelta

from PIL import Image, ImageDraw, ImageFont
from sqlmodel import Session, select

from rulebook.categories import PROFILE_FLAGS
from server import security
from server.checklists.service import ChecklistRegistry, store_current_versions
from server.common import utcnow
from server.config import Settings
from server.db import make_engine
from server.demo_history import seed_history
from server.inspections.models import AnswerIn, InspectionIn
from server.inspections.service import submit_inspection
from server.photos.service import ingest_photo
from server.photos.storage import PhotoStore, make_photo_store
from server.sites.models import AssignmentCreate, SiteCreate, SiteProfile
from server.sites.service import create_assignment, create_site
from server.users.models import OrganizationCreate, Role, User, UserCreate
from server.users.service import create_organization, create_user

DEMO_PASSWORD = "saferound-demo"
DEMO_ACCOUNTS = [
    ("admin", DEMO_PASSWORD, "admin"),
    ("zhangwei", DEMO_PASSWORD, "officer"),
    ("lina", DEMO_PASSWORD, "officer"),
    ("anju", DEMO_PASSWORD, "property"),
    ("yijia", DEMO_PASSWORD, "property"),
]

FULL = {flag: True for flag in PROFILE_FLAGS}
SITES = [
    # name, kind, street, address, lat, lon, company index, profile
    (
        "富民社区",
        "community",
        "五三街道",
        "浑南区富民街18号",
        41.7452,
        123.4489,
        0,
        dict(FULL, building_count=24, household_count=3100),
    ),
    (
        "天坛社区",
        "community",
        "五三街道",
        "浑南区天坛南街6号",
        41.7521,
        123.4617,
        1,
        dict(FULL, building_count=16, household_count=2200),
    ),
    (
        "浑河站社区",
        "community",
        "浑河站东街道",
        "浑南区浑河站东路31号",
        41.7203,
        123.4102,
        0,
        dict(has_gas=True, has_ebike_charging=True, building_count=12, household_count=980),
    ),
    (
        "金地社区",
        "community",
        "浑河站东街道",
        "浑南区金地街2号",
        41.7288,
        123.4251,
        1,
        dict(FULL, has_fire_control_room=False, building_count=9, household_count=1400),
    ),
    (
        "王士兰村",
        "village",
        "李相街道",
        "浑南区李相街道王士兰村",
        41.6914,
        123.5236,
        None,
        dict(has_gas=True, has_ebike_charging=True, building_count=210, household_count=640),
    ),
]


# The rest of the district: (street, centre lat, centre lon, spread) and name stems, placed deterministically
# round each street's centre so that the map draws the district's shape.
STREETS = [
    ("五三街道", 41.748, 123.452, 0.018),
    ("浑河站东街道", 41.724, 123.414, 0.016),
    ("白塔街道", 41.709, 123.468, 0.017),
    ("李相街道", 41.688, 123.528, 0.022),
]
STEMS = (
    "和平 长青 翠竹 丰乐 文汇 河畔 春华 秋实 满堂 望湖 锦绣 泰山 阳光 金桥 祥和 沈水 东湖 枫林 "
    "朗月 世纪 奥体 智慧 新城 民安 兴隆 瑞丰 碧桂 天成 玉兰 嘉和 雅居 林语 浑南 桃源 静安 金色 "
    "紫云 宏达 华府 龙湾 凯旋 富力 天河 永安 馨园 育才 绿洲 星河 海棠 长白 南塔 东陵 汪家 高坎 深井"
).split()
EXTRA_COMPANIES = [
    ("沈阳万家物业服务有限公司", "024-24561234"),
    ("浑南城建物业管理有限公司", "024-23456789"),
    ("辽宁恒安物业服务有限公司", "024-31889900"),
    ("沈阳佳和物业有限公司", "024-88776655"),
]
EXTRA_OFFICERS = [
    ("wangqiang", "王强"),
    ("zhaomin", "赵敏"),
    ("sunhao", "孙浩"),
    ("zhouyan", "周燕"),
    ("wujun", "吴军"),
]


def district_sites() -> list[tuple]:
    """The five named sites and fifty-five more, same tuple shape as SITES (company index over six)."""
    rnd = random.Random(2026)
    sites = list(SITES)
    for i, stem in enumerate(STEMS):
        street, lat, lon, spread = STREETS[i % len(STREETS)]
        village = street == "李相街道" and i % 3 == 0
        flags = {flag: rnd.random() < (0.4 if village else 0.75) for flag in PROFILE_FLAGS}
        sites.append(
            (
                f"{stem}村" if village else f"{stem}社区",
                "village" if village else "community",
                street,
                f"浑南区{stem}路{rnd.randrange(1, 300)}号",
                round(lat + rnd.uniform(-spread, spread), 5),
                round(lon + rnd.uniform(-spread, spread) * 1.3, 5),
                None if village else i % 6,
                dict(flags, building_count=rnd.randrange(4, 40), household_count=rnd.randrange(300, 4000)),
            )
        )
    return sites


def seed(settings: Settings) -> bool:
    """Load the demo district; False if it is there already."""
    registry = ChecklistRegistry.from_directory(settings.checklists_dir)  # no checklists: stop before writing
    engine = make_engine(settings.resolved_database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            if session.exec(select(User).where(User.username == "admin")).first():
                return False
            _seed(session, settings, registry)
            return True
    finally:
        engine.dispose()


def _seed(session: Session, settings: Settings, registry: ChecklistRegistry) -> None:
    hasher = security.make_password_hasher(time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib)
    store_current_versions(session=session, registry=registry)

    admin = create_user(
        session=session,
        hasher=hasher,
        actor_id=None,
        data=UserCreate(username="admin", password=DEMO_PASSWORD, role=Role.admin, display_name="区政法委 王主任"),
    )
    companies = [
        create_organization(
            session=session,
            actor_id=admin.id,
            data=OrganizationCreate(name="沈阳安居物业服务有限公司", kind="property", phone="024-23781100"),
        ),
        create_organization(
            session=session,
            actor_id=admin.id,
            data=OrganizationCreate(name="盛京宜家物业管理有限公司", kind="property", phone="024-31225566"),
        ),
        *[
            create_organization(
                session=session, actor_id=admin.id, data=OrganizationCreate(name=name, kind="property", phone=phone)
            )
            for name, phone in EXTRA_COMPANIES
        ],
    ]
    sites = [
        create_site(
            session=session,
            actor_id=admin.id,
            data=SiteCreate(
                name=name,
                kind=kind,
                district="浑南区",
                street=street,
                address=address,
                lat=lat,
                lon=lon,
                property_org_id=companies[company].id if company is not None else None,
                profile=SiteProfile(**profile),
            ),
        )
        for name, kind, street, address, lat, lon, company, profile in district_sites()
    ]
    zhang = create_user(
        session=session,
        hasher=hasher,
        actor_id=admin.id,
        data=UserCreate(
            username="zhangwei",
            password=DEMO_PASSWORD,
            role=Role.officer,
            display_name="张伟",
            phone="138-0240-1234",
            duties="燃气、用电、消防等安全巡查与隐患督办",
            publish_contact=True,  # shown on his sites' posters
        ),
    )
    li = create_user(
        session=session,
        hasher=hasher,
        actor_id=admin.id,
        data=UserCreate(username="lina", password=DEMO_PASSWORD, role=Role.officer, display_name="李娜", language="zh"),
    )
    extra_officers = [
        create_user(
            session=session,
            hasher=hasher,
            actor_id=admin.id,
            data=UserCreate(username=username, password=DEMO_PASSWORD, role=Role.officer, display_name=display),
        )
        for username, display in EXTRA_OFFICERS
    ]
    property_users = {}
    for username, display, company in (
        ("anju", "安居物业 刘经理", companies[0]),
        ("yijia", "宜家物业 陈主管", companies[1]),
    ):
        property_users[company.id] = create_user(
            session=session,
            hasher=hasher,
            actor_id=admin.id,
            data=UserCreate(
                username=username,
                password=DEMO_PASSWORD,
                role=Role.property,
                organization_id=company.id,
                display_name=display,
            ),
        )
    plan = [(zhang, [0, 1, 2]), (li, [3, 4]), *[(o, []) for o in extra_officers]]
    # The rest dealt round the officers but 张伟, who keeps the three sites the phone tests and guides use.
    for i in range(len(SITES), len(sites)):
        plan[1 + (i - len(SITES)) % (len(plan) - 1)][1].append(i)
    officer_of = {}
    for officer, site_indexes in plan:
        for i in site_indexes:
            officer_of[sites[i].id] = officer
            create_assignment(
                session=session,
                actor_id=admin.id,
                data=AssignmentCreate(
                    officer_id=officer.id, site_id=sites[i].id, visits_per_week=2 if sites[i].kind == "village" else 1
                ),
            )

    seed_history(
        session=session,
        settings=settings,
        registry=registry,
        now=utcnow(),
        sites=sites,
        officer_of=officer_of,
        property_user_of=property_users,
    )

    # A few rounds already walked this week, with failed items that became open hazards. Early on a
    # Monday the week is young: squeeze the rounds into the hours it has had, so they count this week.
    now = utcnow()
    local = now.astimezone(settings.tz)
    week_age_hours = (
        local - local.replace(hour=0, minute=0, second=0, microsecond=0)
    ).total_seconds() / 3600 + 24 * local.weekday()
    store = make_photo_store(settings)
    for officer, site, category, failing, hours_ago in (
        (zhang, sites[0], "gas", 2, 50),
        (zhang, sites[0], "fire", 1, 26),
        (zhang, sites[2], "ebike", 2, 5),
        (li, sites[3], "electricity", 1, 30),
        (li, sites[4], "structure", 1, 3),
    ):
        template = registry.current[category]
        items = template.items_for(site.profile)
        finished = now - timedelta(hours=min(hours_ago, week_age_hours * hours_ago / 60))
        answers = [
            AnswerIn(
                item_id=item.id,
                result="fail" if i < failing else "pass",
                note="现场发现，已拍照留证" if i < failing else None,
                photo_ids=[demo_photo(session, settings, store, officer, site, item.id, finished)]
                if i < failing
                else [],
            )
            for i, item in enumerate(items)
        ]
        submit_inspection(
            session=session,
            settings=settings,
            registry=registry,
            user=officer,
            inspection_id=uuid.uuid4(),
            data=InspectionIn(
                site_id=site.id,
                category=category,
                template_version=template.version,
                started_at=finished - timedelta(minutes=25),
                finished_at=finished,
                lat=site.lat,
                lon=site.lon,
                answers=answers,
            ),
        )


def demo_photo(
    session: Session,
    settings: Settings,
    store: PhotoStore,
    officer: User,
    site,
    item_id: str,  # type: ignore[no-untyped-def]
    taken_at: datetime,
) -> uuid.UUID:
    """A made-up 'problem' photo for a failed item, stored through the same path as an upload."""
    photo_id = uuid.uuid4()
    ingest_photo(
        session=session,
        settings=settings,
        store=store,
        user=officer,
        photo_id=photo_id,
        content=demo_jpeg(item_id),
        kind="problem",
        taken_at=taken_at - timedelta(minutes=3),
        lat=site.lat,
        lon=site.lon,
    )
    return photo_id


def demo_jpeg(label: str, size: tuple[int, int] = (1200, 900)) -> bytes:
    """A 1200×900 scene: sky, a building with windows, and a red ring round 'the problem'."""
    seed = zlib.crc32(label.encode())
    width, height = size
    sky = Image.linear_gradient("L").resize(size).point(lambda v: 150 + v // 3)
    image = Image.merge("RGB", (sky.point(lambda v: v - 60), sky.point(lambda v: v - 20), sky))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 3 // 4, width, height), fill=(95, 90, 80))
    left = 150 + seed % 300
    draw.rectangle((left, 180, left + 520, height * 3 // 4), fill=(200, 185, 160), outline=(90, 80, 70), width=6)
    for row in range(4):
        for col in range(5):
            x, y = left + 30 + col * 100, 220 + row * 110
            draw.rectangle((x, y, x + 60, y + 70), fill=(70, 110, 150) if (row + col + seed) % 3 else (240, 220, 130))
    cx, cy = left + 80 + seed % 360, 300 + seed % 350
    draw.ellipse((cx - 90, cy - 90, cx + 90, cy + 90), outline=(220, 30, 30), width=12)
    draw.text((40, 40), label, fill=(255, 255, 255), font=ImageFont.load_default(size=36))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()
