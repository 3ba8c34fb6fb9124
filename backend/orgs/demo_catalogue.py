"""Demo departments and the 分级分类 event catalogue (数字城管 style).

SLA hours are per grade: 1 = 特急, 2 = 紧急, 3 = 较急, 4 = 一般 (the default). A lower grade
never allows more time than a higher one. Hazards that endanger people right now (积水,
井盖缺失, 燃气泄漏, 树木倒伏, 路面塌陷 ...) run on the natural clock: a gas smell reported
on Saturday night must not wait for Monday 08:30. Everything else counts working hours.

``photo_required`` governs the handler's ``report`` action (a photo of the fixed result);
it is off where there is nothing to photograph (a smell, noise, a price).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "AUTO_DISPATCH",
    "CATEGORY_GROUPS",
    "DEFAULT_DUPLICATE_RADIUS_M",
    "DEPARTMENTS",
    "ClockKind",
    "DemoCategory",
    "build_categories",
]

ClockKind = Literal["working", "natural"]
DEFAULT_DUPLICATE_RADIUS_M = 50

# (code, name), in the order that numbers the demo logins dept01, dept02, ...
DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("dept-cgzf", "区城管执法局"),
    ("dept-swhp", "区水务和湖泊局"),
    ("dept-yllh", "区园林和林业局"),
    ("dept-scjg", "区市场监管局"),
    ("dept-zjj", "区住建局"),
    ("dept-sthj", "市生态环境局洪山区分局"),
    ("dept-yjgl", "区应急管理局"),
    ("dept-gafj", "洪山公安分局"),
    ("dept-jjdd", "洪山交警大队"),
    ("dept-jtys", "区交通运输局"),
    ("dept-gdzx", "国网洪山供电中心"),
    ("dept-rqgs", "武汉燃气洪山分公司"),
    ("dept-wjj", "区卫健局"),
)

CATEGORY_GROUPS: tuple[str, ...] = (
    "市容环境",
    "街面秩序",
    "设施管理",
    "宣传广告",
    "施工管理",
    "园林绿化",
    "突发事件",
    "生态环境",
    "市场监管",
)


@dataclass(frozen=True)
class DemoCategory:
    """One category; ``sla_hours`` holds the hours for grades 1, 2, 3, 4 in that order."""

    code: str
    name: str
    group: str
    default_department: str
    sla_hours: tuple[int, int, int, int]
    clock: ClockKind
    photo_required: bool
    duplicate_radius_m: int = DEFAULT_DUPLICATE_RADIUS_M

    @property
    def sla_by_grade(self) -> dict[int, int]:
        """{1: hours, 2: hours, 3: hours, 4: hours} (a fresh dict each time)."""
        return {grade: hours for grade, hours in enumerate(self.sla_hours, start=1)}

    @property
    def handle_hours(self) -> int:
        """Hours for the default grade 4 (一般), the ``sla.handle.hours`` on the wire."""
        return self.sla_hours[3]

    def hours_for(self, grade: int) -> int:
        if grade not in (1, 2, 3, 4):
            raise ValueError(f"grade must be 1-4, got {grade}")
        return self.sla_hours[grade - 1]


# Smart dispatch: urgent hazards go straight to their department once accepted.
AUTO_DISPATCH: frozenset[str] = frozenset({"manhole_missing", "road_waterlogging", "gas_leak"})

W: ClockKind = "working"
N: ClockKind = "natural"

# (code, name, group, department, hours for grades 1-4, clock, photo_required, radius m)
_ROWS: tuple[tuple[str, str, str, str, tuple[int, int, int, int], ClockKind, bool, int], ...] = (
    # 市容环境
    ("garbage_exposed", "暴露垃圾", "市容环境", "dept-cgzf", (1, 2, 4, 8), W, True, 50),
    ("garbage_accumulated", "积存垃圾渣土", "市容环境", "dept-cgzf", (2, 4, 8, 16), W, True, 50),
    ("road_not_clean", "道路不洁", "市容环境", "dept-cgzf", (1, 2, 4, 8), W, True, 100),
    ("bin_overflow", "垃圾满溢", "市容环境", "dept-cgzf", (1, 2, 3, 4), W, True, 30),
    ("illegal_dumping", "乱倒垃圾", "市容环境", "dept-cgzf", (2, 4, 8, 16), W, True, 50),
    ("graffiti", "乱涂乱画", "市容环境", "dept-cgzf", (4, 8, 16, 24), W, True, 50),
    ("dead_animal", "动物尸体", "市容环境", "dept-cgzf", (1, 2, 2, 4), W, True, 50),
    ("public_toilet_dirty", "公厕不洁", "市容环境", "dept-cgzf", (1, 2, 4, 8), W, True, 30),
    ("clutter_stacking", "乱堆物堆料", "市容环境", "dept-cgzf", (2, 4, 8, 16), W, True, 50),
    ("street_drying", "沿街晾挂", "市容环境", "dept-cgzf", (2, 4, 8, 16), W, True, 50),
    ("vector_breeding", "病媒生物孳生", "市容环境", "dept-wjj", (4, 8, 16, 24), W, True, 100),
    # 街面秩序
    ("street_vending", "占道经营", "街面秩序", "dept-cgzf", (1, 2, 4, 8), W, True, 50),
    ("outside_shop", "店外经营", "街面秩序", "dept-cgzf", (2, 4, 8, 16), W, True, 30),
    ("illegal_parking", "违章停车", "街面秩序", "dept-jjdd", (1, 1, 2, 4), W, True, 50),
    ("bike_disorder", "共享单车乱停放", "街面秩序", "dept-jtys", (1, 2, 4, 8), W, True, 50),
    ("open_air_barbecue", "露天烧烤", "街面秩序", "dept-cgzf", (1, 2, 4, 8), W, True, 50),
    ("illegal_structure", "违法建设", "街面秩序", "dept-cgzf", (8, 24, 48, 72), W, True, 30),
    ("roadside_repair", "占道洗车修车", "街面秩序", "dept-cgzf", (2, 4, 8, 16), W, True, 50),
    # 设施管理 (部件)
    ("manhole_missing", "井盖缺失", "设施管理", "dept-swhp", (1, 2, 2, 4), N, True, 20),
    ("manhole_damaged", "井盖破损", "设施管理", "dept-swhp", (2, 4, 8, 16), W, True, 20),
    ("streetlight_out", "路灯不亮", "设施管理", "dept-cgzf", (4, 8, 16, 24), W, True, 20),
    ("fire_hydrant_damaged", "消防栓损坏", "设施管理", "dept-yjgl", (4, 8, 16, 24), W, True, 20),
    ("sidewalk_damaged", "人行道破损", "设施管理", "dept-cgzf", (4, 8, 24, 48), W, True, 50),
    ("guardrail_damaged", "护栏损坏", "设施管理", "dept-jtys", (4, 8, 16, 24), W, True, 50),
    ("traffic_sign_damaged", "交通标志损坏", "设施管理", "dept-jjdd", (4, 8, 16, 24), W, True, 30),
    ("bus_shelter_damaged", "公交站亭损坏", "设施管理", "dept-jtys", (8, 16, 24, 48), W, True, 30),
    ("drain_blocked", "雨水箅子堵塞", "设施管理", "dept-swhp", (2, 4, 8, 16), W, True, 30),
    ("cable_hanging", "架空线缆垂落", "设施管理", "dept-gdzx", (1, 2, 4, 8), N, True, 50),
    # 宣传广告
    ("illegal_flyers", "非法小广告", "宣传广告", "dept-cgzf", (4, 8, 16, 24), W, True, 50),
    ("illegal_billboard", "违规户外广告", "宣传广告", "dept-cgzf", (8, 16, 24, 48), W, True, 50),
    ("signboard_damaged", "广告牌匾破损", "宣传广告", "dept-cgzf", (2, 4, 8, 16), W, True, 30),
    ("illegal_banner", "违规悬挂横幅", "宣传广告", "dept-cgzf", (4, 8, 16, 24), W, True, 50),
    # 施工管理
    ("construction_dust", "施工扬尘", "施工管理", "dept-zjj", (2, 4, 8, 16), W, True, 100),
    ("construction_blocking", "施工占道", "施工管理", "dept-cgzf", (2, 4, 8, 16), W, True, 50),
    ("muck_truck_spill", "渣土车撒漏", "施工管理", "dept-cgzf", (1, 2, 4, 8), W, True, 200),
    ("night_construction", "夜间施工扰民", "施工管理", "dept-sthj", (1, 2, 4, 8), N, False, 100),
    ("site_fence_missing", "施工围挡缺失", "施工管理", "dept-zjj", (4, 8, 16, 24), W, True, 50),
    # 园林绿化
    ("tree_fallen", "树木倒伏", "园林绿化", "dept-yllh", (1, 2, 4, 4), N, True, 50),
    ("green_damaged", "绿地破坏", "园林绿化", "dept-yllh", (8, 16, 24, 48), W, True, 50),
    ("branch_blocking", "树枝遮挡", "园林绿化", "dept-yllh", (4, 8, 16, 24), W, True, 30),
    ("green_untidy", "绿地脏乱", "园林绿化", "dept-yllh", (4, 8, 16, 24), W, True, 50),
    ("tree_missing", "行道树缺株", "园林绿化", "dept-yllh", (24, 48, 72, 120), W, True, 30),
    # 突发事件
    ("road_waterlogging", "道路积水", "突发事件", "dept-swhp", (1, 2, 4, 6), N, True, 200),
    ("gas_leak", "燃气泄漏", "突发事件", "dept-rqgs", (1, 1, 2, 2), N, False, 100),
    ("fire_hazard", "火灾隐患", "突发事件", "dept-yjgl", (1, 2, 4, 8), N, True, 50),
    ("road_collapse", "路面塌陷", "突发事件", "dept-zjj", (1, 2, 4, 6), N, True, 100),
    ("water_main_burst", "供水管道爆裂", "突发事件", "dept-swhp", (1, 2, 4, 6), N, True, 100),
    ("crowd_gathering", "人员聚集", "突发事件", "dept-gafj", (1, 1, 2, 4), N, False, 200),
    # 生态环境
    ("open_burning", "露天焚烧", "生态环境", "dept-sthj", (1, 2, 4, 8), N, True, 100),
    ("water_pollution", "水体污染", "生态环境", "dept-sthj", (4, 8, 16, 24), W, True, 200),
    ("commercial_noise", "商业噪声扰民", "生态环境", "dept-sthj", (2, 4, 8, 16), W, False, 100),
    ("cooking_fumes", "餐饮油烟扰民", "生态环境", "dept-sthj", (4, 8, 16, 24), W, True, 50),
    # 市场监管
    ("unlicensed_food_stall", "无证食品摊贩", "市场监管", "dept-scjg", (2, 4, 8, 16), W, True, 50),
    ("expired_food", "销售过期食品", "市场监管", "dept-scjg", (2, 4, 8, 16), W, True, 30),
    ("price_unmarked", "未明码标价", "市场监管", "dept-scjg", (8, 16, 24, 48), W, False, 30),
)


def build_categories() -> tuple[DemoCategory, ...]:
    return tuple(DemoCategory(*row) for row in _ROWS)
