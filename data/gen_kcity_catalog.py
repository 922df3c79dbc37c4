#!/usr/bin/env python3
"""Builds data/kcity-catalog.json: the K city sample catalogue (GB/T 30428.2-style classes).

Run from the repository root: python3 data/gen_kcity_catalog.py
The first entries are the ones the tests and the demo use; their codes, names, limits
and departments must keep their meaning. Every entry gets its registration condition
(立案条件) and closing condition (结案条件) in English and Chinese.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "kcity-catalog.json")

# Condition texts by class of problem: (registration en, zh, closing en, zh).
COND = {
    "cover": ("Cover missing, broken, displaced or more than 2 cm above or below the road",
              "井盖缺失、破损、移位或高出（低于）路面2厘米以上",
              "Cover replaced or reset, level with the road, no gap",
              "井盖已更换或复位，与路面齐平，无缝隙"),
    "grate": ("Grate missing, broken or blocked so water cannot drain",
              "箅子缺失、破损或堵塞导致排水不畅",
              "Grate in place and unblocked", "箅子已复位且排水通畅"),
    "pipe": ("Visible leak, burst or damage on a public pipe or its fittings",
             "公共管线或其附属设施可见渗漏、爆裂或损坏",
             "Leak stopped, fitting repaired, surface reinstated",
             "渗漏已止住，设施已修复，路面已恢复"),
    "cabinet": ("Cabinet or box damaged, open or with exposed wiring",
                "箱体破损、未关闭或线缆外露",
                "Cabinet closed and locked, no exposed wiring",
                "箱体已关闭上锁，无线缆外露"),
    "lamp": ("Lamp out, flickering, or pole or fittings damaged",
             "灯具不亮、闪烁或灯杆、配件损坏",
             "Lamp lit at night, pole and fittings intact",
             "夜间灯具亮灯，灯杆及配件完好"),
    "facility": ("Facility damaged, missing or unsafe to use",
                 "设施破损、缺失或存在安全隐患",
                 "Facility repaired or replaced and safe to use",
                 "设施已修复或更换，可安全使用"),
    "sign": ("Sign or marking missing, damaged, illegible or misplaced",
             "标志标线缺失、损坏、不清晰或设置错误",
             "Sign upright, legible, correctly placed",
             "标志已扶正、清晰可辨、设置正确"),
    "signal": ("Signal dark, stuck or out of sequence", "信号灯不亮、常亮或相位错乱",
               "All signal heads working in sequence", "所有信号灯头按相位正常工作"),
    "road": ("Surface broken, sunk or loose over more than 0.5 m², or a tripping hazard",
             "破损、沉陷或松动面积超过0.5平方米，或存在绊倒隐患",
             "Surface relaid level, no loose pieces", "路面已重铺平整，无松动"),
    "sanitation": ("Facility damaged, missing, dirty or out of use",
                   "设施破损、缺失、脏污或无法使用",
                   "Facility intact, clean and in use", "设施完好、整洁并正常使用"),
    "green": ("Plants, turf or fittings damaged, dead or a hazard",
              "植物、草坪或附属设施受损、枯死或存在隐患",
              "Damage restored or replanted, no hazard", "已修复或补植，无安全隐患"),
    "tree": ("Tree leaning, broken, dead, diseased or blocking the way",
             "树木倾斜、折断、枯死、病虫害或影响通行",
             "Tree upright and pruned or replaced, no hazard",
             "树木已扶正修剪或更换，无安全隐患"),
    "other_component": ("Asset damaged, missing or not working", "设施损坏、缺失或不能正常使用",
                        "Asset repaired, replaced or removed and labelled",
                        "设施已修复、更换或拆除并设置提示"),
    "litter": ("Visible rubbish, dirt or waste in a public place",
               "公共场所有可见垃圾、污物或废弃物",
               "Removed, ground clean", "已清除，地面整洁"),
    "water": ("Standing water deeper than 5 cm or over 10 m², or a flow on the road",
              "路面积水深度超过5厘米或面积超过10平方米，或有水流",
              "Water drained, cause cleared", "积水已排除，原因已消除"),
    "appearance": ("Visible from a public street and against the city appearance rules",
                   "在公共街面可见且违反市容管理规定",
                   "Removed or put right, street front tidy", "已清除或整改，街面整洁"),
    "structure": ("Structure built without a permit on public or shared land",
                  "未经审批在公共或共有场地搭建建（构）筑物",
                  "Structure demolished and site cleared", "建（构）筑物已拆除，场地已清理"),
    "advert": ("Advertisement or flyer without a permit, or damaged and a hazard",
               "未经审批设置的广告或小广告，或破损存在隐患",
               "Removed or permit shown, surface cleaned", "已清除或出示审批手续，表面已清洁"),
    "construction": ("Site work breaking the construction rules, seen from a public place",
                     "在公共场所可见施工行为违反施工管理规定",
                     "Put right or permit and protection in order",
                     "已整改或审批手续及防护措施齐全"),
    "street": ("Blocking or disturbing a public street, seen on the spot",
               "现场可见占用或影响公共街面秩序",
               "Street clear, behaviour stopped", "街面已恢复，行为已停止"),
    "parking": ("Vehicle parked off the marked places and in the way",
                "车辆未在划定泊位停放且影响通行",
                "Vehicle moved or ticketed", "车辆已驶离或已处罚"),
    "emergency": ("Immediate danger to people or property, confirmed on site",
                  "现场确认对人身或财产存在即时危险",
                  "Danger removed, area safe, cause recorded",
                  "危险已排除，现场安全，原因已记录"),
    "dispute": ("Dispute reported by a party, in a public or shared space",
                "当事人反映的公共或共有空间纠纷",
                "Parties mediated, outcome recorded", "已调解，结果已记录"),
    "pollution": ("Discharge, smoke, odour or noise noticeable from a public place",
                  "在公共场所可察觉的排放、烟尘、异味或噪声",
                  "Stopped, source identified, measures recorded",
                  "已停止，来源已查明，措施已记录"),
}

DEPARTMENTS = [
    ("water", "K市供水排水集团", "K City Water Supply and Drainage Group"),
    ("roads", "K市市政道路管理处", "K City Municipal Roads Office"),
    ("sanitation", "K市环境卫生管理处", "K City Sanitation Office"),
    ("landscaping", "K市园林绿化局", "K City Landscaping Bureau"),
    ("traffic_police", "K市公安局交通警察支队", "K City Traffic Police Detachment"),
    ("law_enforcement", "K市城市管理综合执法局", "K City Urban Management Law Enforcement Bureau"),
    ("electricity", "国网K市供电公司", "K City Power Supply Company"),
    ("lighting", "K市路灯管理所", "K City Street Lighting Office"),
    ("construction", "K市住房和城乡建设局", "K City Housing and Construction Bureau"),
    ("ecology", "K市生态环境局", "K City Ecology and Environment Bureau"),
    ("transit", "K市公共交通集团", "K City Public Transport Group"),
    ("community", "K市街道社区服务中心", "K City Street and Community Service Centre"),
    # Added with the 200-entry catalogue.
    ("gas", "K市港华燃气公司", "K City Gas Company"),
    ("telecom", "K市通信管线管理办公室", "K City Telecom Lines Office"),
    ("fire", "K市消防救援支队", "K City Fire and Rescue Detachment"),
    ("market", "K市市场监督管理局", "K City Market Regulation Bureau"),
    ("lanxi_squad", "兰溪街道城管执法中队", "Lanxi Street Law Enforcement Squad"),
    ("qiaonan_squad", "桥南街道城管执法中队", "Qiaonan Street Law Enforcement Squad"),
    ("yunhe_squad", "运河街道城管执法中队", "Yunhe Street Law Enforcement Squad"),
]

# 属地: street-order and appearance events go to the street's own squad.
SQUADS = {"320508001": "lanxi_squad", "320508002": "qiaonan_squad", "320508003": "yunhe_squad"}

H, D = "working_hours", "working_days"

# (code, zh, en, kind, (value, unit), department, condition class, extras)
# extras: "u": urgent (value, unit); "n": natural time; "a": area routing; "e": keep the
# existing English closing text.
ENTRIES = [
    # --- existing entries: codes, names, limits and departments unchanged ---
    ("01001", "供水井盖", "Water-supply manhole cover", (2, H), "water", "cover", {}),
    ("01002", "污水井盖", "Sewage manhole cover", (2, H), "water", "cover", {}),
    ("01003", "雨水井盖", "Storm-drain cover", (2, H), "water", "cover", {}),
    ("01004", "电力井盖", "Power manhole cover", (2, H), "electricity", "cover", {}),
    ("01008", "雨水箅子", "Storm-drain grate", (4, H), "water", "grate", {}),
    ("01012", "消防栓", "Fire hydrant", (1, D), "water", "facility", {"e": "Hydrant intact, no leak, valve operable"}),
    ("01025", "电力设施箱", "Electrical cabinet", (2, D), "electricity", "cabinet", {}),
    ("01037", "路灯", "Street lamp", (3, D), "lighting", "lamp", {}),
    ("01038", "景观灯", "Decorative light", (3, D), "lighting", "lamp", {"e": "Light working, fittings intact"}),
    ("02001", "公交站亭", "Bus shelter", (3, D), "transit", "facility", {"e": "Shelter intact, glass and seats repaired"}),
    ("02005", "交通标志牌", "Traffic sign", (2, D), "traffic_police", "sign", {}),
    ("02008", "道路护栏", "Road guardrail", (2, D), "roads", "facility", {"e": "Guardrail continuous and fixed"}),
    ("02010", "过街天桥", "Pedestrian footbridge", (5, D), "roads", "facility", {"e": "Deck, stairs and railings safe to use"}),
    ("02014", "交通信号灯", "Traffic light", (4, H), "traffic_police", "signal", {}),
    ("02020", "人行道板", "Pavement slab", (3, D), "roads", "road", {"e": "Slabs relaid level, no loose pieces"}),
    ("03001", "公共厕所", "Public toilet", (2, D), "sanitation", "sanitation", {"e": "Toilet open, clean, fittings working"}),
    ("03002", "化粪池", "Septic tank", (1, D), "sanitation", "sanitation", {"e": "No overflow, cover closed"}),
    ("03005", "垃圾箱", "Litter bin", (1, D), "sanitation", "sanitation", {"e": "Bin in place, undamaged, lid working"}),
    ("03007", "垃圾房", "Refuse room", (2, D), "sanitation", "sanitation", {"e": "Room intact, doors closed, area clean"}),
    ("04001", "古树名木", "Heritage tree", (2, D), "landscaping", "tree", {"e": "Tree protected, damage treated by an arborist"}),
    ("04002", "行道树", "Street tree", (3, D), "landscaping", "tree", {}),
    ("04005", "绿地", "Green space", (3, D), "landscaping", "green", {"e": "Damaged turf and plants restored"}),
    ("04008", "花坛", "Flower bed", (3, D), "landscaping", "green", {"e": "Edging and planting restored"}),
    ("05001", "健身设施", "Fitness equipment", (3, D), "community", "other_component", {"e": "Equipment repaired or fenced off and labelled"}),
    ("05004", "监控电子眼", "CCTV camera", (3, D), "traffic_police", "other_component", {"e": "Camera working and correctly aimed"}),
    ("05010", "宣传栏", "Public notice board", (3, D), "community", "other_component", {"e": "Board intact and tidy"}),
    ("06001", "私搭乱建", "Illegal structure", (20, D), "law_enforcement", "structure", {}),
    ("06003", "道路不洁", "Dirty road surface", (2, H), "sanitation", "litter", {"e": "Road surface swept clean"}),
    ("06005", "道路积水", "Standing water on road", (4, H), "water", "water", {}),
    ("06008", "焚烧垃圾", "Burning rubbish", (2, H), "law_enforcement", "pollution", {"e": "Fire out, residue removed"}),
    ("06010", "暴露垃圾", "Exposed rubbish", (2, H), "sanitation", "litter", {"e": "Rubbish removed, ground clean"}),
    ("06012", "沿街晾挂", "Laundry hung along the street", (1, D), "law_enforcement", "appearance", {"e": "Items removed from the street front"}),
    ("06042", "垃圾站（箱）满溢", "Overflowing bin or refuse station", (2, H), "sanitation", "litter", {"e": "Bin emptied, surroundings clean"}),
    ("07001", "非法小广告", "Illegal flyers", (1, D), "law_enforcement", "advert", {"e": "Flyers removed, surface cleaned"}),
    ("07002", "违规户外广告", "Unauthorised outdoor advertising", (5, D), "law_enforcement", "advert", {"e": "Advertisement removed or permit shown"}),
    ("07004", "占道广告牌", "Sign boards on the pavement", (4, H), "law_enforcement", "advert", {"e": "Boards removed from the pavement"}),
    ("07006", "破损广告牌", "Damaged billboard", (2, D), "law_enforcement", "advert", {"e": "Billboard repaired or removed, no falling hazard"}),
    ("08001", "施工占道", "Construction occupying the road", (1, D), "roads", "construction", {"e": "Road cleared or permit and fencing in order"}),
    ("08003", "施工废弃料", "Construction waste", (1, D), "construction", "construction", {"e": "Waste removed from the site surroundings"}),
    ("08004", "工地扬尘", "Construction dust", (4, H), "construction", "construction", {"e": "Dust covered or damped, no visible dust"}),
    ("08007", "夜间施工噪声", "Night-time construction noise", (2, H), "ecology", "pollution", {"e": "Work stopped or night permit shown"}),
    ("09001", "无照经营游商", "Unlicensed pedlars", (2, H), "law_enforcement", "street", {"e": "Pedlars gone from the spot"}),
    ("09004", "店外经营", "Trading outside the shop front", (4, H), "law_enforcement", "street", {"e": "Goods moved back inside the shop"}),
    ("09006", "占道经营", "Street vending on the road", (2, H), "law_enforcement", "street", {"e": "Road clear of stalls"}),
    ("09009", "机动车乱停放", "Illegally parked motor vehicle", (2, H), "traffic_police", "parking", {}),
    ("09010", "非机动车乱停放", "Bicycles parked in the way", (4, H), "traffic_police", "parking", {"e": "Bicycles moved to the parking area"}),
    ("10001", "架空线缆坠落", "Fallen overhead cables", (2, H), "electricity", "emergency", {"e": "Cables secured overhead, no hazard"}),
    ("10002", "道路塌陷", "Road subsidence", (2, H), "roads", "emergency", {"e": "Area fenced at once; road repaired"}),
    ("10005", "邻里纠纷", "Neighbourhood dispute", (3, D), "community", "dispute", {}),
    ("10007", "违法排污", "Illegal discharge of sewage", (1, D), "ecology", "pollution", {"e": "Discharge stopped, source identified"}),
    ("0101", "上水井盖（旧编码）", "Water-supply manhole cover (legacy code)", (2, H), "water", "cover", {"e": "Cover replaced or reset"}),
    ("0106", "污水井盖（旧编码）", "Sewage manhole cover (legacy code)", (2, H), "water", "cover", {"e": "Cover replaced or reset"}),
    ("0202", "公交站亭（旧编码）", "Bus shelter (legacy code)", (3, D), "transit", "facility", {"e": "Shelter repaired"}),
    ("0401", "古树名木（旧编码）", "Heritage tree (legacy code)", (2, D), "landscaping", "tree", {"e": "Tree protected"}),
    ("0302", "施工废弃料（旧编码）", "Construction waste (legacy code)", (1, D), "construction", "construction", {"e": "Waste removed"}, "event"),
    ("0506", "占道经营（旧编码）", "Street vending on the road (legacy code)", (2, H), "law_enforcement", "street", {"e": "Road clear of stalls"}, "event"),
    # --- 01 municipal utilities ---
    ("01005", "通信井盖", "Telecom manhole cover", (2, H), "telecom", "cover", {}),
    ("01006", "燃气井盖", "Gas manhole cover", (2, H), "gas", "cover", {"u": (1, H), "n": 1}),
    ("01007", "热力井盖", "District-heating manhole cover", (2, H), "water", "cover", {}),
    ("01009", "污水箅子", "Sewage grate", (4, H), "water", "grate", {}),
    ("01010", "供水管道", "Water main", (4, H), "water", "pipe", {"u": (2, H), "n": 1}),
    ("01011", "排水管道", "Drainage pipe", (1, D), "water", "pipe", {}),
    ("01013", "供水阀门井", "Water valve chamber", (1, D), "water", "facility", {}),
    ("01014", "燃气管道", "Gas pipeline", (2, H), "gas", "pipe", {"u": (1, H), "n": 1}),
    ("01015", "燃气调压箱", "Gas pressure-regulating box", (4, H), "gas", "cabinet", {"n": 1}),
    ("01016", "通信交接箱", "Telecom cross-connect cabinet", (2, D), "telecom", "cabinet", {}),
    ("01017", "有线电视箱", "Cable TV box", (2, D), "telecom", "cabinet", {}),
    ("01018", "通信线杆", "Telecom pole", (2, D), "telecom", "facility", {}),
    ("01019", "电力线杆", "Power pole", (1, D), "electricity", "facility", {"u": (4, H)}),
    ("01020", "变压器", "Transformer", (1, D), "electricity", "cabinet", {"u": (2, H), "n": 1}),
    ("01021", "高压线塔", "High-voltage pylon", (2, D), "electricity", "facility", {}),
    ("01022", "充电桩", "Charging post", (3, D), "electricity", "facility", {}),
    ("01023", "排水泵站", "Drainage pump station", (1, D), "water", "facility", {"u": (2, H), "n": 1}),
    ("01024", "检查井", "Inspection chamber", (1, D), "water", "cover", {}),
    ("01026", "路灯控制箱", "Street-light control box", (2, D), "lighting", "cabinet", {}),
    ("01027", "地下管线标识", "Underground utility marker", (5, D), "roads", "sign", {}),
    ("01028", "公共饮水器", "Public drinking fountain", (3, D), "water", "facility", {}),
    ("01029", "污水检查口", "Sewer rodding eye", (2, D), "water", "cover", {}),
    ("01030", "雨水口", "Gully inlet", (4, H), "water", "grate", {}),
    ("01031", "消防水鹤", "Fire-fighting water crane", (1, D), "fire", "facility", {}),
    ("01032", "微型消防站", "Mini fire station", (1, D), "fire", "facility", {}),
    ("01033", "防汛设施", "Flood-control equipment", (1, D), "water", "facility", {"u": (2, H), "n": 1}),
    ("01034", "无障碍设施", "Accessibility ramp or tactile paving", (5, D), "roads", "facility", {}),
    ("01035", "高杆灯", "High-mast light", (3, D), "lighting", "lamp", {}),
    ("01036", "庭院灯", "Courtyard lamp", (3, D), "lighting", "lamp", {}),
    ("01039", "地灯", "In-ground light", (3, D), "lighting", "lamp", {}),
    ("01040", "灯箱", "Light box", (3, D), "lighting", "lamp", {}),
    ("01041", "电子显示屏", "Electronic display", (3, D), "community", "other_component", {}),
    ("01042", "通信基站", "Mobile base station", (3, D), "telecom", "facility", {}),
    # --- 02 traffic facilities ---
    ("02002", "出租车停靠点", "Taxi stand", (3, D), "transit", "facility", {}),
    ("02003", "公共自行车站点", "Public bike station", (3, D), "transit", "facility", {}),
    ("02004", "公交站牌", "Bus stop sign", (2, D), "transit", "sign", {}),
    ("02006", "道路指示牌", "Direction sign", (3, D), "roads", "sign", {}),
    ("02007", "交通标线", "Road marking", (5, D), "traffic_police", "sign", {}),
    ("02009", "隔离墩", "Traffic bollard", (2, D), "roads", "facility", {}),
    ("02011", "地下通道", "Pedestrian underpass", (5, D), "roads", "facility", {}),
    ("02012", "桥梁", "Road bridge", (5, D), "roads", "facility", {"u": (4, H), "n": 1}),
    ("02013", "隧道", "Road tunnel", (5, D), "roads", "facility", {"u": (4, H), "n": 1}),
    ("02015", "人行信号灯", "Pedestrian signal", (4, H), "traffic_police", "signal", {}),
    ("02016", "减速带", "Speed bump", (3, D), "roads", "road", {}),
    ("02017", "停车场标志", "Car park sign", (3, D), "traffic_police", "sign", {}),
    ("02018", "电子警察", "Traffic enforcement camera", (3, D), "traffic_police", "other_component", {}),
    ("02019", "车行道", "Carriageway", (3, D), "roads", "road", {"u": (4, H)}),
    ("02021", "路缘石", "Kerbstone", (3, D), "roads", "road", {}),
    ("02022", "盲道", "Tactile paving", (5, D), "roads", "road", {}),
    ("02023", "反光镜", "Traffic mirror", (3, D), "traffic_police", "facility", {}),
    ("02024", "限高架", "Height-limit barrier", (2, D), "roads", "facility", {}),
    ("02025", "停车泊位", "Marked parking bay", (5, D), "traffic_police", "sign", {}),
    ("02026", "非机动车停放架", "Bicycle rack", (3, D), "transit", "facility", {}),
    ("02027", "道路反光柱", "Reflective post", (3, D), "roads", "facility", {}),
    ("02028", "交通岗亭", "Traffic police box", (3, D), "traffic_police", "facility", {}),
    # --- 03 sanitation facilities ---
    ("03003", "垃圾间（楼）", "Refuse building", (2, D), "sanitation", "sanitation", {}),
    ("03004", "垃圾转运站", "Refuse transfer station", (1, D), "sanitation", "sanitation", {}),
    ("03006", "果皮箱", "Street litter box", (1, D), "sanitation", "sanitation", {}),
    ("03008", "分类垃圾桶", "Sorted-waste bins", (1, D), "sanitation", "sanitation", {}),
    ("03009", "环卫工具房", "Street-cleaners' hut", (3, D), "sanitation", "sanitation", {}),
    ("03010", "小便池", "Public urinal", (2, D), "sanitation", "sanitation", {}),
    ("03011", "流动厕所", "Mobile toilet", (1, D), "sanitation", "sanitation", {}),
    ("03012", "洒水车取水点", "Sprinkler-truck water point", (3, D), "sanitation", "sanitation", {}),
    ("03013", "大件垃圾临时堆放点", "Bulky-waste collection point", (2, D), "sanitation", "sanitation", {}),
    ("03014", "餐厨垃圾收集点", "Kitchen-waste collection point", (1, D), "sanitation", "sanitation", {}),
    ("03015", "建筑垃圾临时堆放点", "Construction-waste holding point", (2, D), "construction", "sanitation", {}),
    ("03016", "环卫休息点", "Sanitation workers' rest point", (3, D), "sanitation", "sanitation", {}),
    # --- 04 landscaping ---
    ("04003", "护树设施", "Tree guard", (3, D), "landscaping", "green", {}),
    ("04004", "树池", "Tree pit", (3, D), "landscaping", "green", {}),
    ("04006", "绿篱", "Hedge", (3, D), "landscaping", "green", {}),
    ("04007", "草坪", "Lawn", (3, D), "landscaping", "green", {}),
    ("04009", "花箱", "Planter box", (3, D), "landscaping", "green", {}),
    ("04010", "雕塑", "Sculpture", (5, D), "landscaping", "other_component", {}),
    ("04011", "城市公园设施", "Park facilities", (3, D), "landscaping", "facility", {}),
    ("04012", "喷泉", "Fountain", (3, D), "landscaping", "facility", {}),
    ("04013", "街头坐椅", "Street bench", (3, D), "landscaping", "facility", {}),
    ("04014", "亭廊", "Pavilion or covered walk", (5, D), "landscaping", "facility", {}),
    ("04015", "绿地护栏", "Green-space railing", (3, D), "landscaping", "facility", {}),
    ("04016", "立体绿化", "Vertical greening", (5, D), "landscaping", "green", {}),
    ("04017", "绿化带", "Planted median", (3, D), "landscaping", "green", {}),
    ("04018", "河道护栏", "Riverside railing", (2, D), "water", "facility", {"u": (4, H)}),
    ("04019", "水体", "Pond or stream", (3, D), "water", "green", {}),
    ("04020", "景观水系设施", "Waterscape fittings", (5, D), "landscaping", "facility", {}),
    # --- 05 other components ---
    ("05002", "公用电话亭", "Public phone booth", (5, D), "telecom", "other_component", {}),
    ("05003", "报刊亭", "Newsstand", (5, D), "market", "other_component", {}),
    ("05005", "治安岗亭", "Police post", (3, D), "community", "other_component", {}),
    ("05006", "邮筒", "Post box", (5, D), "telecom", "other_component", {}),
    ("05007", "门牌", "House number plate", (5, D), "community", "sign", {}),
    ("05008", "路名牌", "Street name plate", (5, D), "roads", "sign", {}),
    ("05009", "景点指示牌", "Sights direction sign", (5, D), "community", "sign", {}),
    ("05011", "公益广告牌", "Public-service billboard", (5, D), "community", "other_component", {}),
    ("05012", "气象监测设施", "Weather station", (5, D), "ecology", "other_component", {}),
    ("05013", "环境监测站", "Air-quality station", (3, D), "ecology", "other_component", {}),
    ("05014", "防空警报器", "Air-raid siren", (3, D), "community", "other_component", {}),
    ("05015", "智能快递柜", "Parcel locker", (5, D), "market", "other_component", {}),
    ("05016", "自动售货机", "Vending machine", (5, D), "market", "other_component", {}),
    ("05017", "共享单车", "Shared bicycle (damaged)", (2, D), "transit", "other_component", {}),
    ("05018", "应急避难场所标志", "Emergency-shelter sign", (3, D), "community", "sign", {}),
    ("05019", "健身步道", "Fitness trail", (5, D), "community", "other_component", {}),
    ("05020", "儿童游乐设施", "Children's playground", (2, D), "community", "other_component", {"u": (4, H)}),
    # --- 06 city appearance ---
    ("06002", "违章接坡", "Illegal kerb ramp", (3, D), "law_enforcement", "structure", {"a": 1}),
    ("06004", "积存垃圾渣土", "Piled waste and spoil", (1, D), "sanitation", "litter", {}),
    ("06006", "道路遗撒", "Spillage on the road", (2, H), "sanitation", "litter", {}),
    ("06007", "绿地脏乱", "Littered green space", (4, H), "landscaping", "litter", {}),
    ("06009", "乱涂写乱张贴", "Graffiti and posters", (1, D), "law_enforcement", "appearance", {"a": 1}),
    ("06011", "沿街空调滴水", "Air-conditioner dripping on the pavement", (3, D), "law_enforcement", "appearance", {"a": 1}),
    ("06013", "废弃家具", "Abandoned furniture", (1, D), "sanitation", "litter", {}),
    ("06014", "废弃车辆", "Abandoned vehicle", (5, D), "traffic_police", "appearance", {}),
    ("06015", "水域不洁", "Littered waterway", (1, D), "water", "litter", {}),
    ("06016", "动物尸体", "Animal carcass", (2, H), "sanitation", "litter", {"n": 1}),
    ("06017", "油烟污染", "Cooking-fume pollution", (3, D), "ecology", "pollution", {}),
    ("06018", "露天烧烤", "Open-air barbecue", (2, H), "law_enforcement", "street", {"a": 1}),
    ("06019", "门前三包不落实", "Shop-front duties neglected", (1, D), "law_enforcement", "appearance", {"a": 1}),
    ("06020", "建筑立面破损", "Damaged building facade", (5, D), "construction", "appearance", {"u": (4, H)}),
    ("06021", "违规设置防盗窗", "Illegal window grilles", (10, D), "law_enforcement", "structure", {"a": 1}),
    ("06022", "违规搭建雨棚", "Illegal awning", (10, D), "law_enforcement", "structure", {"a": 1}),
    ("06023", "建筑物外立面乱挂", "Things hung on facades", (2, D), "law_enforcement", "appearance", {"a": 1}),
    ("06024", "河道漂浮物", "Floating debris in the river", (1, D), "water", "litter", {}),
    ("06025", "公厕脏乱", "Dirty public toilet", (2, H), "sanitation", "litter", {}),
    ("06026", "散落垃圾", "Scattered litter", (2, H), "sanitation", "litter", {}),
    ("06027", "垃圾未分类投放", "Unsorted waste put out", (1, D), "sanitation", "litter", {}),
    ("06028", "宠物粪便", "Dog fouling", (4, H), "sanitation", "litter", {}),
    ("06029", "积雪结冰", "Snow and ice on the pavement", (4, H), "sanitation", "emergency", {"n": 1}),
    ("06030", "违规饲养家禽", "Poultry kept in public space", (3, D), "law_enforcement", "appearance", {"a": 1}),
    # --- 07 advertising ---
    ("07003", "店招店牌不规范", "Non-compliant shop sign", (5, D), "law_enforcement", "advert", {"a": 1}),
    ("07005", "横幅标语", "Unauthorised banners", (1, D), "law_enforcement", "advert", {"a": 1}),
    ("07007", "车身广告", "Advertising vehicle", (1, D), "law_enforcement", "advert", {}),
    ("07008", "空飘广告", "Advertising balloons", (1, D), "law_enforcement", "advert", {}),
    ("07009", "LED屏违规播放", "Non-compliant LED screen", (2, D), "law_enforcement", "advert", {}),
    ("07010", "散发小广告", "Flyers handed out", (2, H), "law_enforcement", "advert", {"a": 1}),
    ("07011", "墙体广告", "Painted wall advertising", (3, D), "law_enforcement", "advert", {"a": 1}),
    ("07012", "条幅破损", "Torn banner", (1, D), "law_enforcement", "advert", {}),
    # --- 08 construction management ---
    ("08002", "施工围挡破损", "Damaged site hoarding", (1, D), "construction", "construction", {}),
    ("08005", "渣土车遗撒", "Spoil truck spillage", (2, H), "construction", "construction", {}),
    ("08006", "无证掘路", "Road dug without a permit", (4, H), "roads", "construction", {}),
    ("08008", "施工污水外排", "Site waste water discharged", (4, H), "ecology", "pollution", {}),
    ("08009", "工地车辆带泥上路", "Site vehicles carrying mud onto the road", (4, H), "construction", "construction", {}),
    ("08010", "施工未设警示", "Works without warning signs", (2, H), "roads", "construction", {}),
    ("08011", "违法建设在建", "Illegal construction in progress", (4, H), "law_enforcement", "structure", {"a": 1}),
    ("08012", "装修垃圾乱堆", "Renovation waste dumped", (1, D), "construction", "construction", {}),
    ("08013", "挖掘未及时回填", "Excavation left open", (1, D), "roads", "construction", {"u": (4, H)}),
    ("08014", "拆迁工地管理不善", "Badly kept demolition site", (2, D), "construction", "construction", {}),
    # --- 09 street order ---
    ("09002", "流动摊贩", "Mobile hawkers", (2, H), "law_enforcement", "street", {"a": 1}),
    ("09003", "占道堆物", "Goods piled on the road", (4, H), "law_enforcement", "street", {"a": 1}),
    ("09005", "乱设摊点", "Unauthorised stalls", (2, H), "law_enforcement", "street", {"a": 1}),
    ("09007", "占道洗车", "Car washing on the road", (2, H), "law_enforcement", "street", {"a": 1}),
    ("09008", "占道维修", "Repairs done on the road", (4, H), "law_enforcement", "street", {"a": 1}),
    ("09011", "乞讨卖艺", "Begging and street performing", (4, H), "community", "street", {}),
    ("09012", "占道停车收费", "Unauthorised parking charges", (1, D), "traffic_police", "parking", {}),
    ("09013", "私设地锁", "Private parking lock", (3, D), "law_enforcement", "street", {"a": 1}),
    ("09014", "共享单车乱停放", "Shared bicycles parked in the way", (2, H), "transit", "parking", {}),
    ("09015", "噪声扰民", "Noise nuisance", (2, H), "ecology", "pollution", {"n": 1}),
    ("09016", "黑车揽客", "Unlicensed taxis touting", (2, H), "traffic_police", "street", {}),
    ("09017", "占用盲道", "Blocked tactile paving", (2, H), "law_enforcement", "street", {"a": 1}),
    ("09018", "占用消防通道", "Fire lane blocked", (1, H), "fire", "emergency", {"n": 1}),
    ("09019", "无证犬只", "Unlicensed dog", (1, D), "community", "street", {}),
    ("09020", "集市秩序混乱", "Disorderly market", (4, H), "market", "street", {}),
    # --- 10 other matters / emergencies ---
    ("10003", "燃气泄漏", "Gas leak", (1, H), "gas", "emergency", {"n": 1}),
    ("10004", "供水爆管", "Burst water main", (2, H), "water", "emergency", {"u": (1, H), "n": 1}),
    ("10006", "路面油污", "Oil on the road", (2, H), "sanitation", "emergency", {}),
    ("10008", "火灾隐患", "Fire hazard", (2, H), "fire", "emergency", {"n": 1}),
    ("10009", "树木倒伏", "Fallen tree", (2, H), "landscaping", "emergency", {"u": (1, H), "n": 1}),
    ("10010", "广告牌坠落隐患", "Billboard about to fall", (2, H), "law_enforcement", "emergency", {"n": 1}),
    ("10011", "危险建筑", "Dangerous building", (4, H), "construction", "emergency", {"n": 1}),
    ("10012", "窨井冒溢", "Overflowing manhole", (2, H), "water", "emergency", {"n": 1}),
    ("10013", "电线私拉乱接", "Illegal wiring", (1, D), "electricity", "emergency", {}),
    ("10014", "电动车违规充电", "Unsafe e-bike charging", (4, H), "fire", "emergency", {}),
    ("10015", "食品摊点卫生", "Unhygienic food stall", (1, D), "market", "street", {}),
    ("10016", "违规养犬伤人", "Dog bite incident", (2, H), "community", "emergency", {"n": 1}),
    ("10017", "河道水质异常", "Abnormal river water", (1, D), "ecology", "pollution", {"u": (4, H)}),
    ("10018", "山体滑坡", "Landslip", (2, H), "roads", "emergency", {"n": 1}),
    ("10019", "群租房隐患", "Overcrowded rented flat", (5, D), "community", "dispute", {}),
    ("10020", "物业纠纷", "Property-management dispute", (5, D), "community", "dispute", {}),
]

KIND_OF_MAJOR = {m: ("component" if m <= "05" else "event")
                 for m in ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10"]}
OLD_KIND = {"0101": "component", "0106": "component", "0202": "component", "0401": "component"}


def entry(row):
    code, zh, en, (v, unit), dept, cond, ex = row[:7]
    kind = row[7] if len(row) > 7 else (OLD_KIND.get(code) or KIND_OF_MAJOR[code[:2]])
    reg_en, reg_zh, close_en, close_zh = COND[cond]
    c = {
        "code": code, "name_zh": zh, "name_en": en, "kind": kind,
        "time_limit": {"value": v, "unit": unit},
        "registration_condition": reg_en, "registration_condition_zh": reg_zh,
        "closing_condition": ex.get("e", close_en), "closing_condition_zh": close_zh,
        "department": dept,
    }
    if "u" in ex:
        c["urgent_time_limit"] = {"value": ex["u"][0], "unit": ex["u"][1]}
    if ex.get("n"):
        c["natural_time"] = True
    if ex.get("a"):
        c["area_departments"] = dict(SQUADS)
    return c


def main():
    with open(OUT, encoding="utf-8") as f:
        old = json.load(f)
    existing = {c["code"]: c for c in old["categories"]}
    cats = [entry(r) for r in ENTRIES]
    codes = [c["code"] for c in cats]
    assert len(codes) == len(set(codes)), "duplicate code"
    for c in cats:
        was = existing.get(c["code"])
        if was:
            for k in ("name_zh", "name_en", "kind", "time_limit", "department", "closing_condition"):
                assert was[k] == c[k], (c["code"], k, was[k], c[k])
    assert set(existing) <= set(codes), set(existing) - set(codes)
    out = {
        "version": "kcity-2026.2",
        "calendar": old["calendar"],
        "conditions_required": True,
        "departments": [{"id": i, "name_zh": z, "name_en": e} for i, z, e in DEPARTMENTS],
        "categories": cats,
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(len(cats), "categories")


if __name__ == "__main__":
    main()
