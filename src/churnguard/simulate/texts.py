"""Free text for simulated complaints, survey comments and interview notes (中文 and English).

Texts are picked from short templates; about 70% are Chinese, as in a Chinese company's
records. The words carry the category or reason, so a text classifier has something to
learn, but templates overlap on purpose (a price complaint can mention service).
"""

from __future__ import annotations

COMPLAINT_CATEGORIES = ("delivery", "quality", "billing", "service", "outage")

COMPLAINT_TEXTS = {
    "delivery": (
        ("到货延迟了一周，影响了我们的生产安排。", "货物送达时包装破损。", "多次催货都没有回复，物流太慢。"),
        ("Delivery was a week late and held up our line.", "Goods arrived with damaged packaging."),
    ),
    "quality": (
        ("这批滤芯质量不稳定，有几件漏油。", "产品和上次的规格不一致。", "润滑油有杂质，设备出了问题。"),
        ("This batch of filters leaks.", "The product does not match the last order's spec."),
    ),
    "billing": (
        ("发票金额和订单不符。", "重复扣款，至今没有退回。", "价格比合同上的高。"),
        ("The invoice does not match the order.", "We were charged twice and not refunded."),
    ),
    "service": (
        ("客服态度很差，问题推来推去。", "客户经理一直联系不上。", "售后响应太慢。"),
        ("Support was rude and kept passing us around.", "Our account manager never answers."),
    ),
    "outage": (
        ("订货系统宕机，两天无法下单。", "系统故障导致订单丢失。", "服务中断，没有任何通知。"),
        ("The ordering portal was down for two days.", "An outage lost our order."),
    ),
}

RESOLUTIONS = (
    ("已补发货物并致歉", "已退款", "已更换产品", "已解释并关闭", "已安排上门处理"),
    ("Reshipped and apologised", "Refunded", "Replaced the product", "Explained and closed"),
)

SURVEY_COMMENTS = {
    1: (("服务太差了，考虑换供应商。", "价格涨了质量却没提升。"), ("Very poor service, looking at other suppliers.",)),
    2: (("交货经常延迟。", "客服响应慢。", "价格偏高。"), ("Deliveries are often late.", "Prices are too high.")),
    3: (("还可以。", "一般，没什么特别的。"), ("It is okay.", "Nothing special.")),
    4: (("整体满意，希望交货更快。", "产品质量不错。"), ("Mostly satisfied.", "Good product quality.")),
    5: (("非常满意，客户经理很专业！", "服务很好，会继续合作。"), ("Excellent service, thank you!",)),
}

INTERVIEW_NOTES = {
    "price": (("对方报价更低，我们的涨价是主要原因。", "涨价后预算不够。"), ("Their quote was lower after our price rise.",)),
    "product": (("产品型号不能满足新需求。", "竞品质量更稳定。"), ("Our range no longer fits their needs.",)),
    "service": (("多次投诉没解决，对服务失望。", "交货和售后问题太多。"), ("Repeated service problems, lost trust.",)),
    "promotion": (("竞争对手促销力度大，先转过去试试。", "对方给了首单折扣。"), ("A rival's promotion won them over.",)),
    "market": (("客户退出了这个市场。",), ("The customer left this market.",)),
    "technology": (("改用了新的替代技术。",), ("Switched to a substitute technology.",)),
    "business_change": (("业务收缩，采购量大幅减少。", "公司业务转型。"), ("Their business shrank.",)),
    "closure": (("公司已停业。",), ("The company closed down.",)),
    "other": (("原因不明。",), ("No clear reason given.",)),
}

COMPETITORS = ("鑫达工业品", "华力供应链", "RivalCo", "优选商城")
