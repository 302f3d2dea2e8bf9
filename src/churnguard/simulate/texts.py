"""Free text for simulated complaints, survey comments and interview notes (中文 and English).

Each text is composed of an opening, a *cause phrase* and an ending. The cause phrase carries
the category, satisfaction level or churn reason; it is written as a template with
alternatives (``对方报价比我们{低|便宜}``), so each reason has a few dozen distinct phrasings
per language, and its position in the list is its *template id*. About 70% of texts are
Chinese, as in a Chinese company's records. Templates overlap on purpose (a price complaint
can mention service, a promotion note a lower price), so a text classifier has something to
learn but not a lookup table.

:func:`template_of` tells which template a simulated text came from, so an evaluation can
train on some templates and test on the others (a classifier that only memorised sentences
fails there).
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass

import numpy as np

COMPLAINT_CATEGORIES = ("delivery", "quality", "billing", "service", "outage")


@dataclass(frozen=True)
class Phrasing:
    """How one kind of text is said in one language: openings × cause phrases × endings.

    ``causes`` maps a key (a category, level or reason) to its templates; ``{a|b}`` in a
    template is a choice of words.
    """

    openings: tuple[str, ...]
    causes: dict
    endings: tuple[str, ...]


def expand(template: str) -> list[str]:
    """Every phrasing of a template: ``expand("{低|便宜}了")`` is ``["低了", "便宜了"]``."""
    parts = re.split(r"\{([^{}]*)\}", template)
    choices = [p.split("|") if i % 2 else [p] for i, p in enumerate(parts)]
    return ["".join(c) for c in itertools.product(*choices)]


# -- interview notes: why the customer left ---------------------------------------------------
_NOTES_ZH = Phrasing(
    openings=("", "客户表示：", "采购负责人说，", "回访记录：", "电话访谈：", "据对方经理反馈，"),
    causes={
        "price": (
            "对方{报价|价格}比我们{低|便宜}{不少|很多|两成}",
            "我们{涨价|提价}后{预算不够|超出预算|他们承受不了}",
            "{单价|价格}{太高|偏高|没有竞争力}",
            "同样的货别家{价格|报价}更{便宜|低}",
            "采购成本压力大，只能找{价格|报价}更低的供应商",
            "{今年|这次}{涨价|调价}幅度太大",
            "老板要求降本，我们的{报价|价格}{没法接受|谈不下来}",
            "{价格|报价}{谈不拢|没谈妥}",
            "觉得我们{价格|性价比}{不划算|太贵}",
            "{运费|加价}算下来{价格|总价}太贵",
        ),
        "product": (
            "{产品|型号|规格}不能满足{新需求|他们的需要}",
            "竞品{质量|产品}更{稳定|可靠}",
            "我们的{产品线|产品品类}太窄",
            "{产品|配件}{寿命短|老出质量问题}",
            "缺少他们要的{产品型号|产品规格|品种}",
            "新{产品|型号}{迟迟不上|一直没有}",
            "{产品质量|产品品质}不如以前",
            "{产品|配件}{不够耐用|返修太多}",
            "定制{产品|规格}我们{做不了|满足不了}",
        ),
        "service": (
            "多次投诉{没解决|没人管}，对{服务|售后}{失望|不满}",
            "{交货|售后}{服务|问题}太多",
            "{客户经理|客服}{联系不上|换得太频繁}",
            "{送货|交货}{服务|时间}老是{延迟|出错}",
            "{售后|客服}{服务|响应}{太慢|不及时}",
            "问题推来推去，{服务|售后}{没人负责|解决不了}",
            "{服务态度|客服态度}差",
            "账单{经常出错|对不上}，{服务|客服}处理太慢",
            "系统宕机{没人通知|影响了生产}，{服务|售后}跟不上",
        ),
        "promotion": (
            "竞争对手{促销|优惠}力度大，先{转过去试试|换过去了}",
            "对方给了{首单折扣|返点|赠品}{优惠|促销}",
            "别家{搞促销活动|打折优惠}，{拉走了|抢走了}这单",
            "对方{买赠|满减}{促销|优惠}很有吸引力",
            "新供应商{免费试用|送样品}{促销|优惠}",
            "{竞品|对手}开出了{年度返利|优惠套餐}",
            "被{对手|别家}的{优惠|促销}{吸引|挖走}了",
            "对方{限时特价|开业优惠}{促销|活动}",
        ),
        "market": (
            "客户退出了这个{市场|行业}",
            "{不再做|停止了}这块{市场|业务}",
            "转去{海外|别的}市场了",
            "这条产品线{停产|砍掉}了，退出{市场|行业}",
            "{当地|区域}市场萎缩，撤出了",
            "他们的下游{市场|客户}{没了|流失了}",
            "把{门店|工厂}迁出了本地市场",
        ),
        "technology": (
            "改用了{新的替代技术|新技术工艺}",
            "{设备升级|换了新设备}后{技术|工艺}变了，不再需要我们的产品",
            "转向{电动化|自动化|数字化}{技术|方案}",
            "新技术{替代了|淘汰了}原来的{耗材|配件}",
            "用{新材料|替代品}{技术|方案}代替了",
            "上了{新系统|新生产线}，{技术|工艺}标准变了",
        ),
        "business_change": (
            "{业务|经营}{收缩|缩减}，采购量大幅减少",
            "公司{业务|经营}{转型|调整}",
            "{订单|产量}下滑，{业务|采购}量减少",
            "{被收购|合并}后{业务|采购}统一管理",
            "{业务|规模}扩张后改为{集中采购|总部招标}",
            "{裁员|减产}，{业务|采购}暂停",
            "{业务|规模}{扩大|变大}，转向{大厂直供|厂家直采}",
        ),
        "closure": (
            "公司已{停业|倒闭|关门}",
            "{工厂|门店}{关闭|停业}了",
            "{破产清算|注销}，{倒闭|关门}了",
            "老板{退休|不干了}，{生意|公司}{关了|停业}",
            "资金链断了，{停业|倒闭}",
        ),
        "other": (
            "原因{不明|不清楚}",
            "对方{不愿透露|没说}原因",
            "{联系人离职|换了负责人}，原因不明",
            "没有{明确|具体}{原因|理由}",
            "{说不上来|没细说|不肯说}{原因|理由}",
            "{电话|微信}{联系不上|没人回}，原因未知",
        ),
    },
    endings=("。", "，短期内不会回来。", "，已记录。", "，我们没能挽回。", "，对方态度很坚决。"),
)

_NOTES_EN = Phrasing(
    openings=("", "The buyer said ", "Exit call: ", "Per their manager, ", "Interview notes: "),
    causes={
        "price": (
            "their {quote|price} was {lower|cheaper} after our price rise",
            "our {prices|quotes} are {too high|not competitive|above budget}",
            "found the same goods at a {lower price|cheaper price} elsewhere",
            "the {price increase|new price list} was too {much|expensive} for them",
            "cost cutting: they moved to a {cheaper|lower-price} supplier",
            "we could not agree on {price|a price}",
            "{poor|bad} value for the price",
            "{freight|surcharges} made our price too {high|expensive}",
        ),
        "product": (
            "our product range no longer fits their {needs|line}",
            "the rival's product {quality|range} is more {reliable|consistent|modern}",
            "missing the product {models|sizes|grades} they need",
            "product {quality|durability} has slipped",
            "we could not make the custom product {spec|version} they asked for",
            "too many product {returns|defects|failures}",
            "no new products from us in {years|a long time|two years}",
        ),
        "service": (
            "repeated service problems, {lost trust|gave up on us}",
            "{delivery|after-sales} service was {late|wrong} too often",
            "their account manager {never answered|kept changing}; poor service",
            "{support|service} was {slow|rude|unhelpful}",
            "service complaints were {never resolved|passed around}",
            "after-sales {support|service} let them down",
            "the outage and our service {was the last straw|stopped their line}",
        ),
        "promotion": (
            "a rival's {promotion|discount offer|seasonal promotion} {won them over|pulled them away}",
            "they took a {first-order discount|rebate offer|free trial} from a competitor",
            "the competitor's {bundle|promotion} offer was too good",
            "lured away by a {special offer|launch discount|promotional price}",
            "a rival offered {free samples|a volume rebate} as a promotion",
            "switched to try a {competitor's discount|rival promotion}",
        ),
        "market": (
            "the customer left this {market|sector|market segment}",
            "they {stopped serving|exited|gave up} this market",
            "moved to {another regional market|overseas markets}",
            "their {downstream|end} market went away",
            "the local market {shrank|dried up}, so they pulled out",
            "they left the market for the {product line|division} that used our goods",
        ),
        "technology": (
            "switched to a substitute {technology|process|technology platform}",
            "new equipment technology no longer needs our {parts|consumables}",
            "moved to {electric|automated|digital} technology",
            "a new {material|technology} substitute {replaced|made redundant} what we sell",
            "their technology {upgrade|retooling} made our products obsolete",
        ),
        "business_change": (
            "their business {shrank|contracted|is downsizing}",
            "the business {restructured|changed direction|reorganised}",
            "{acquired|merged}, now the business buys centrally",
            "business {output|orders} fell, so they need less",
            "the business grew and moved to {direct|central} purchasing",
            "{layoffs|cutbacks|a hiring freeze} put business purchasing on hold",
        ),
        "closure": (
            "the company {closed down|went bust|shut down}",
            "the {plant|shop|warehouse} is closed",
            "{bankrupt|in liquidation|insolvent}; closed",
            "the owner {retired|quit|passed away} and closed the business",
            "the business closed {for good|last month}",
        ),
        "other": (
            "no clear reason {given|stated}",
            "they {declined|did not want} to give a reason",
            "our contact {left|moved on|retired}; reason unclear",
            "reason {unknown|not stated|not known}",
            "could not {reach|get hold of} them to ask the reason",
        ),
    },
    endings=(".", "; unlikely to return.", ". Logged.", ", and we could not win them back."),
)

# -- complaints: by category ------------------------------------------------------------------
_COMPLAINTS_ZH = Phrasing(
    openings=("", "客户反映：", "投诉内容：", "来电称"),
    causes={
        "delivery": (
            "到货延迟了{一周|好几天|半个月}，影响了{生产安排|我们的生产}",
            "货物送达时{包装破损|少了几箱}",
            "多次催货都{没有回复|没人理}，物流太慢",
            "{送错了货|发错了型号}",
            "{承诺|约定}的交期{没兑现|又推迟了}",
        ),
        "quality": (
            "这批{滤芯|配件|润滑油}质量不稳定",
            "产品和{上次|合同}的规格不一致",
            "{润滑油|原料}有杂质，设备出了问题",
            "{几件|不少}产品{漏油|开裂|有瑕疵}",
            "{质量|品质}比以前差了",
        ),
        "billing": (
            "发票金额和订单{不符|对不上}",
            "重复扣款，{至今没有退回|一直没退}",
            "价格比{合同|报价单}上的高",
            "{账单|对账单}{出错|漏了折扣}",
            "{多收|乱收}了{运费|服务费}",
        ),
        "service": (
            "客服态度{很差|冷淡}，问题推来推去",
            "客户经理一直{联系不上|不回电话}",
            "售后响应{太慢|不及时}",
            "{答应|承诺}的事情{没人跟进|没落实}",
            "{电话|热线}{打不通|总是占线}",
        ),
        "outage": (
            "订货系统{宕机|瘫痪}，{两天|一整天}无法下单",
            "系统故障导致{订单丢失|数据出错}",
            "服务中断，{没有任何通知|事先没说}",
            "{平台|网站}{登不上|打不开}",
        ),
    },
    endings=("。", "，请尽快处理。", "，非常不满。", "！"),
)

_COMPLAINTS_EN = Phrasing(
    openings=("", "Customer reports: ", "Complaint: "),
    causes={
        "delivery": (
            "delivery was {a week|days} late and held up our line",
            "goods arrived {with damaged packaging|short}",
            "{wrong items|the wrong model} shipped",
            "the promised delivery date {slipped again|was missed}",
        ),
        "quality": (
            "this batch of {filters|parts} {leaks|is defective}",
            "the product does not match the {last order's|contract} spec",
            "{quality|finish} is worse than before",
        ),
        "billing": (
            "the invoice does not match the {order|quote}",
            "we were charged {twice|the wrong amount} and not refunded",
            "prices are higher than {the contract|quoted}",
            "{extra|unexpected} fees on the bill",
        ),
        "service": (
            "support was {rude|slow} and kept passing us around",
            "our account manager never {answers|calls back}",
            "{promises|follow-ups} were not kept",
            "the hotline {is never answered|kept us waiting}",
        ),
        "outage": (
            "the ordering portal was down for {two days|a day}",
            "an outage {lost our order|corrupted our data}",
            "service stopped {without notice|again}",
        ),
    },
    endings=(".", ". Please fix this.", "!"),
)

# -- survey comments: by satisfaction level (1 very dissatisfied … 5 very satisfied) -----------
_SURVEY_ZH = Phrasing(
    openings=("", "总体来说，"),
    causes={
        1: ("服务太差了，考虑{换供应商|找别家}", "价格涨了{质量|服务}却没提升", "{问题|投诉}一直没解决", "{非常|极其}失望"),
        2: ("交货{经常|总是}延迟", "客服响应{慢|不及时}", "价格{偏高|有点贵}", "{质量|品质}{不稳定|一般}"),
        3: ("还{可以|行}", "一般，没什么{特别的|亮点}", "{中规中矩|马马虎虎}"),
        4: ("整体满意，希望{交货更快|价格再优惠些}", "产品质量{不错|挺好}", "{合作|服务}比较顺利"),
        5: ("非常满意，客户经理很{专业|负责}", "服务很好，会继续合作", "{响应快|交货准时}，{点赞|很好}"),
    },
    endings=("。", "！"),
)

_SURVEY_EN = Phrasing(
    openings=("",),
    causes={
        1: ("very poor {service|support}, looking at other suppliers", "{prices went up|costs rose} but nothing improved",
            "{deeply|very} disappointed"),
        2: ("deliveries are {often|always} late", "prices are {too high|a bit steep}", "support is {slow|patchy}"),
        3: ("it is {okay|fine}", "nothing {special|to add}"),
        4: ("{mostly|generally} satisfied", "good product {quality|range}"),
        5: ("{excellent|great} service, thank you", "{always|very} reliable"),
    },
    endings=(".", "!"),
)

# -- a leaving customer's reason, added to its complaint or survey comment ---------------------
_CLAUSE_ZH = Phrasing(openings=("另外，", "说实话，", "顺便提一下，", "而且"), causes=_NOTES_ZH.causes, endings=("。",))
_CLAUSE_EN = Phrasing(openings=(" Also, ", " Frankly, ", " By the way, "), causes=_NOTES_EN.causes, endings=(".",))

#: kind of text → (Chinese, English) phrasing
PHRASINGS: dict[str, tuple[Phrasing, Phrasing]] = {
    "interview": (_NOTES_ZH, _NOTES_EN),
    "complaint": (_COMPLAINTS_ZH, _COMPLAINTS_EN),
    "survey": (_SURVEY_ZH, _SURVEY_EN),
    "clause": (_CLAUSE_ZH, _CLAUSE_EN),
}
#: the tables :func:`churnguard.simulate.voice.pick_text` reads, by the name of the text kind
INTERVIEW_NOTES, COMPLAINT_TEXTS, SURVEY_COMMENTS, LEAVING_CLAUSES = "interview", "complaint", "survey", "clause"

RESOLUTIONS = (
    ("已补发货物并致歉", "已退款", "已更换产品", "已解释并关闭", "已安排上门处理"),
    ("Reshipped and apologised", "Refunded", "Replaced the product", "Explained and closed"),
)

COMPETITORS = ("鑫达工业品", "华力供应链", "RivalCo", "优选商城")


@functools.cache
def _variants(kind: str, lang: int, key: object) -> tuple[tuple[str, ...], np.ndarray]:
    """Every phrasing of ``key``'s causes and the template id of each."""
    texts, ids = [], []
    for t, template in enumerate(PHRASINGS[kind][lang].causes[key]):
        for v in expand(template):
            texts.append(v)
            ids.append(t)
    return tuple(texts), np.array(ids, dtype=np.int64)


def _sentence(opening: str, cause: str, ending: str, lang: int) -> str:
    text = opening + cause + ending
    if lang == 1:  # English starts with a capital (after a leading space, for a clause)
        i = len(text) - len(text.lstrip())
        return text[:i] + text[i:i + 1].upper() + text[i + 1:]
    return text


@functools.cache
def _sentences(kind: str, lang: int, key: object) -> tuple[np.ndarray, np.ndarray]:
    """Every sentence of ``key`` (opening × phrasing × ending, in that nesting: phrasing outermost)
    and the template id of each."""
    p = PHRASINGS[kind][lang]
    variants, ids = _variants(kind, lang, key)
    out = [_sentence(o, v, e, lang) for v in variants for o in p.openings for e in p.endings]
    return np.array(out, dtype=object), np.repeat(ids, len(p.openings) * len(p.endings))


def compose(kind: str, keys, codes: np.ndarray, english: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Texts of ``kind`` for rows with key ``keys[code]``, in English where ``english``, picked by
    one uniform number ``u`` per row (the opening, the cause phrasing and the ending all follow
    from it, so the simulator draws as many numbers as it did with a short list of sentences).

    Returns the texts (None for a negative code) and their template ids (-1 there).
    """
    codes, english, u = np.asarray(codes), np.asarray(english, bool), np.asarray(u, float)
    out = np.full(len(codes), None, dtype=object)
    tid = np.full(len(codes), -1, np.int64)
    for lang in (0, 1):
        in_lang = english == bool(lang)
        for code in np.unique(codes[(codes >= 0) & in_lang]):
            rows = np.flatnonzero((codes == code) & in_lang)
            sentences, ids = _sentences(kind, lang, keys[int(code)])
            j = np.minimum((u[rows] * len(sentences)).astype(np.int64), len(sentences) - 1)
            out[rows] = sentences[j]
            tid[rows] = ids[j]
    return out, tid


@functools.cache
def _index() -> dict[str, tuple[str, object, str, int]]:
    index: dict[str, tuple[str, object, str, int]] = {}
    for kind, pair in PHRASINGS.items():
        for lang, p in enumerate(pair):
            for key in p.causes:
                sentences, ids = _sentences(kind, lang, key)
                for text, t in zip(sentences, ids, strict=True):
                    index.setdefault(text, (kind, key, ("zh", "en")[lang], int(t)))
    return index


def template_of(text: str) -> tuple[str, object, str, int] | None:
    """``(kind, key, language, template id)`` of a simulated text, or None for any other text.

    >>> template_of("客户表示：对方报价比我们低不少。")
    ('interview', 'price', 'zh', 0)
    """
    return _index().get(text)


@functools.cache
def _reason_variants() -> list[tuple[str, str, str, int]]:
    out = []
    for lang, p in enumerate(PHRASINGS["interview"]):
        for key in p.causes:
            variants, ids = _variants("interview", lang, key)
            out += [(v, key, ("zh", "en")[lang], int(t)) for v, t in zip(variants, ids, strict=True)]
    return sorted(out, key=lambda x: -len(x[0]))


def reason_template_in(text: str) -> tuple[str, str, int] | None:
    """``(reason, language, template id)`` of the reason phrasing a simulated text holds (an
    interview note, or a complaint or comment with a leaving customer's reason added), or None.

    >>> reason_template_in("Goods arrived short. Also, a rival's promotion won them over.")
    ('promotion', 'en', 0)
    """
    low = text.lower()
    for v, key, lang, t in _reason_variants():
        if v.lower() in low:
            return key, lang, t
    return None
