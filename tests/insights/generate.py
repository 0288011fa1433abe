"""A generated question log of a few thousand questions, with topics the bundled posts never cover.

Answerable questions ask about the sample posts' topics (and cite them); a planted topic — baking
sourdough bread — is asked many ways, in English and Chinese, and always refused; a smaller planted
topic (printer drivers) too; scattered one-off refusals are noise; some answered questions got 👎.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from rag.insights.entries import Feedback, LoggedAnswer
from rag.types import new_answer_id
from tests.support.samples import P000, P001, P002, P003, P004

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ANSWERABLE = {
    P000: [
        "王泽锋获得了什么奖？",
        "王泽锋在哪一年开始深耕云原生？",
        "Which award did Wang Zefeng receive?",
        "王泽锋是谁？",
    ],
    P001: ["CNCF TOC 有多少个席位？", "张磊入选了什么委员会？", "How many seats does the CNCF TOC have?"],
    P002: ["阿里云张磊入选的是哪个名单？", "CNCF 技术监督委员会有几名代表？"],
    P003: ["KubeSphere 社区 2021 年有哪些成长？", "What did the KubeSphere community do in 2021?"],
    P004: [
        "Kubernetes 的集市联邦是什么意思？",
        "What are SIGs and WGs in Kubernetes?",
        "Kubernetes 如何为 AI 做准备？",
    ],
}
SOURDOUGH = [
    "How do I feed a sourdough starter?",
    "How often should I feed my sourdough starter?",
    "What flour is best for a sourdough starter?",
    "Why is my sourdough bread so dense?",
    "How long should sourdough bread proof?",
    "What hydration should sourdough bread dough have?",
    "How do I score sourdough bread before baking?",
    "At what temperature should I bake sourdough bread?",
    "Can I keep a sourdough starter in the fridge?",
    "How do I know my sourdough starter is ready to bake bread?",
    "酸面包的酵种怎么喂养？",
    "酸面包为什么烤出来很硬？",
    "酸面包酵种可以放冰箱吗？",
    "烤酸面包需要多少度？",
]
PRINTER = [
    "How do I install a printer driver on Windows?",
    "Where can I download the printer driver for my laptop?",
    "Why does my printer driver fail to install?",
    "打印机驱动怎么安装？",
]
NOISE = [
    "Who won the 1998 World Cup?",
    "What is the capital of Australia?",
    "How tall is Mount Everest?",
    "谁写了红楼梦？",
    "What is the boiling point of ethanol?",
    "How many moons does Jupiter have?",
    "什么是量子纠缠？",
    "Who painted the Mona Lisa?",
    "How do I change a flat tire?",
    "What is the best time to visit Iceland?",
]
UNHELPFUL = ["KubeSphere 的商业版多少钱？", "How much does KubeSphere enterprise cost?", "KubeSphere 企业版怎么收费？"]


EN_PREFIXES = ("", "", "Hi, ", "Quick question: ", "Please tell me: ")
ZH_PREFIXES = ("", "", "请问", "想知道")


def _varied(rng: random.Random, question: str) -> str:
    """How readers type the same question: with or without a greeting."""
    prefixes = EN_PREFIXES if question.isascii() else ZH_PREFIXES
    return rng.choice(prefixes) + question


def _answered(rng: random.Random, question: str, source: str, ts: datetime) -> LoggedAnswer:
    latency = rng.lognormvariate(5.0, 0.5)  # ~150 ms, a long tail
    return LoggedAnswer(new_answer_id(), question, question, False, [source], "extractive", latency, ts)


def _refused(rng: random.Random, question: str, ts: datetime) -> LoggedAnswer:
    return LoggedAnswer(new_answer_id(), question, question, True, [], "extractive", rng.lognormvariate(4.5, 0.3), ts)


def generate_log(seed: int = 11, days: int = 28) -> tuple[list[LoggedAnswer], list[Feedback]]:
    """~3000 logged answers over `days` days before NOW, and the feedback readers gave."""
    rng = random.Random(seed)
    entries: list[LoggedAnswer] = []
    feedback: list[Feedback] = []

    def when() -> datetime:
        return NOW - timedelta(seconds=rng.uniform(0, days * 86400))

    for _ in range(2400):
        source = rng.choice(list(ANSWERABLE))
        item = _answered(rng, _varied(rng, rng.choice(ANSWERABLE[source])), source, when())
        entries.append(item)
        if rng.random() < 0.1:
            feedback.append(Feedback(item.answer_id, True, None, item.ts + timedelta(seconds=20)))
    for _ in range(420):
        entries.append(_refused(rng, _varied(rng, rng.choice(SOURDOUGH)), when()))
    for _ in range(90):
        entries.append(_refused(rng, _varied(rng, rng.choice(PRINTER)), when()))
    for question in NOISE:
        entries.append(_refused(rng, question, when()))
    for _ in range(60):
        item = _answered(rng, _varied(rng, rng.choice(UNHELPFUL)), P003, when())
        entries.append(item)
        feedback.append(Feedback(item.answer_id, False, "Not what I asked", item.ts + timedelta(seconds=30)))
    entries.sort(key=lambda e: e.ts)
    return entries, feedback
