"""Response plans (应急预案) as data: which departments a kind of incident calls in.

Departments are named by org code (see the demo catalogue); a code the district does not
have is skipped, so a plan can list departments a smaller deployment lacks.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_PLAN", "PLANS", "Plan"]


@dataclass(frozen=True, slots=True)
class Plan:
    code: str
    name: str
    departments: tuple[str, ...]


PLANS: dict[str, Plan] = {
    p.code: p
    for p in (
        Plan(
            "flood", "防汛排涝", ("dept-swhp", "dept-yjgl", "dept-cgzf", "dept-jjdd", "dept-gdzx")
        ),
        Plan("fire", "火灾", ("dept-yjgl", "dept-gafj", "dept-jjdd", "dept-wjj", "dept-rqgs")),
        Plan("hazmat", "危化品", ("dept-yjgl", "dept-sthj", "dept-gafj", "dept-wjj", "dept-jjdd")),
        Plan("public_health", "公共卫生", ("dept-wjj", "dept-scjg", "dept-gafj", "dept-yjgl")),
        Plan(
            "mass_event",
            "大型活动",
            ("dept-gafj", "dept-jjdd", "dept-cgzf", "dept-wjj", "dept-jtys"),
        ),
        Plan("gas_leak", "燃气泄漏", ("dept-rqgs", "dept-yjgl", "dept-gafj", "dept-zjj")),
        Plan("power_outage", "大面积停电", ("dept-gdzx", "dept-yjgl", "dept-jjdd")),
        Plan("general", "综合应急", ("dept-yjgl",)),
    )
}

DEFAULT_PLAN = "general"
