"""Pinyin of people's names, for the mention picker: typing ``ly`` or ``liu`` finds 刘洋.

No pinyin dictionary is installed, and none is needed for the initials: GB2312 encodes
its 3,755 level-1 characters (nearly every character of a name) in pinyin order, so the
first character of each initial's run tells where the run starts (the same fact
``core.i18n.pinyin_key`` sorts by). Whole syllables come from a short table of the
characters of common surnames and given names below; a character it lacks is matched
by its initial alone. Names as surnames are read (单 shan, 曾 zeng, 解 xie, 区 ou).
"""

from __future__ import annotations

from functools import lru_cache

# The first level-1 character of each initial (i, u and v begin no syllable).
_RUN_STARTS = (
    "啊a 芭b 擦c 搭d 蛾e 发f 噶g 哈h 击j 喀k 垃l 妈m 拿n 哦o 啪p 期q 然r 撒s 塌t 挖w 昔x 压y 匝z"
)

# Syllables of the characters of common surnames and given names.
_SYLLABLES = """
a:阿 ai:艾爱 an:安 ao:敖奥 ba:巴 bai:白柏百 ban:班 bao:包鲍宝保 bei:贝北 ben:本 bi:毕碧
bian:卞边 bin:宾斌彬 bing:冰兵炳 bo:薄博波柏 bu:步卜 cai:蔡才彩 cao:曹 cen:岑
chang:常昌长畅 chao:超朝 chen:陈晨辰臣 cheng:程成城诚承 chi:池迟 chong:崇 chu:楚储初
chun:春纯 cong:丛聪 cui:崔翠 da:达大 dai:戴代黛 dan:丹 dang:党 deng:邓登 di:狄迪笛
ding:丁鼎 dong:董东冬栋 dou:窦 du:杜都 duan:段端 fan:范樊凡帆繁 fang:方房芳 fei:费飞菲
feng:冯封风峰丰凤锋枫 fu:傅付符福富甫 gang:刚钢 gao:高 ge:葛戈格 geng:耿 gong:龚宫弓
gu:顾古谷 guan:关管冠 guang:光广 gui:桂贵 guo:郭国 han:韩涵寒汉晗 hang:杭航 hao:郝浩昊豪
he:何贺和赫 heng:衡恒 hong:洪红宏鸿虹 hou:侯厚 hu:胡虎 hua:华花 huai:怀 huan:桓欢焕
huang:黄皇 hui:慧惠辉晖会 huo:霍 ji:姬纪季吉冀基继 jia:贾佳嘉家 jian:简建剑坚健 jiang:江姜蒋
jiao:焦娇 jie:杰洁捷婕 jin:金晋锦瑾 jing:静晶景京敬婧井 ju:居菊 juan:娟 jun:君军俊骏
kai:凯开 kang:康亢 ke:柯可克 kong:孔 kuang:匡况 lan:兰蓝岚 lang:郎朗 lei:雷磊蕾
li:李黎丽立力莉利理礼
lian:连莲廉 liang:梁亮良 lin:林琳霖麟 ling:凌玲灵令 liu:刘柳留流 long:龙隆 lou:娄楼
lu:卢陆鲁路露璐鹿
luo:罗骆洛 lv:吕 ma:马 mai:麦 man:曼 mao:毛茂 mei:梅美眉 meng:孟蒙萌梦 mi:米宓 miao:苗妙淼
min:闵敏民 ming:明鸣铭 mo:莫墨 mu:穆牧 na:娜 nan:南楠 ni:倪妮 ning:宁凝 niu:牛 ou:欧区
pan:潘盼 pang:庞 pei:裴佩 peng:彭鹏 ping:平萍 pu:蒲浦朴 qi:齐祁戚琪琦奇启 qian:钱倩谦 qiang:强
qiao:乔巧 qin:秦琴勤 qing:青清庆晴 qiu:邱秋仇 qu:曲瞿 quan:全泉权 ran:冉然 ren:任仁 rong:荣容蓉融
ru:汝如茹 rui:芮瑞睿蕊 ruo:若 shan:单山珊 shang:尚商 shao:邵少绍 shen:沈申深 sheng:盛胜圣生
shi:石史施师诗时世实 shu:舒书淑树 shuang:双爽 shui:水 si:司思斯 song:宋松颂 su:苏素肃 sun:孙
tai:台泰 tan:谭谈檀 tang:唐汤棠 tao:陶涛桃 teng:滕腾 tian:田天甜 ting:婷亭庭廷 tong:童佟通彤桐
tu:涂屠 wan:万宛婉 wang:王汪望 wei:魏韦卫伟维薇威巍 wen:文温闻雯 weng:翁 wu:吴武伍乌吾悟
xi:席喜希熙曦溪 xia:夏霞 xian:冼贤仙先娴 xiang:向项祥翔香湘 xiao:肖萧晓小孝笑 xie:谢解
xin:辛欣新心鑫馨
xing:邢星兴杏 xiong:熊雄 xu:徐许须旭 xuan:宣轩萱璇 xue:薛雪学 xun:荀迅 ya:雅亚 yan:严颜阎燕艳岩妍言
yang:杨阳洋扬 yao:姚瑶耀 ye:叶 yi:易伊依怡毅艺义一 yin:尹殷银音 ying:应英莹颖迎 yong:雍永勇
you:尤游友 yu:于余俞虞玉宇雨鱼禹 yuan:袁元远源媛苑 yue:岳越悦月 yun:云芸韵 zeng:曾 zhai:翟
zhan:詹展战 zhang:张章彰 zhao:赵昭钊 zhe:哲 zhen:甄真贞振珍 zheng:郑正征政 zhi:志智芝 zhong:钟仲忠
zhou:周舟 zhu:朱祝诸竹珠 zhuang:庄 zhuo:卓 zi:紫子梓 zong:宗 zou:邹 zuo:左
"""


@lru_cache(maxsize=1)
def _tables() -> tuple[list[tuple[bytes, str]], dict[str, str]]:
    starts = []
    for entry in _RUN_STARTS.split():
        starts.append((entry[0].encode("gb2312"), entry[1]))
    syllables: dict[str, str] = {}
    for entry in _SYLLABLES.split():
        syllable, chars = entry.split(":")
        for char in chars:
            syllables.setdefault(char, syllable)
    return starts, syllables


def initial(char: str) -> str:
    """The pinyin initial of a Chinese character ("" if it has none we know), or the
    letter or digit itself, lower case."""
    if char.isascii():
        return char.lower() if char.isalnum() else ""
    known = _tables()[1].get(char)
    if known:
        return known[0]
    try:
        code = char.encode("gb2312")
    except UnicodeEncodeError:
        return ""
    # Level 1 runs from B0A1 to D7F9; level 2 (rare characters) is in radical order.
    if len(code) != 2 or not b"\xb0\xa1" <= code <= b"\xd7\xf9":
        return ""
    starts, _syllables = _tables()
    found = ""
    for start, letter in starts:
        if code >= start:
            found = letter
    return found


def syllable(char: str) -> str:
    """The syllable of ``char`` if the table knows it, else its initial."""
    if char.isascii():
        return char.lower() if char.isalnum() else ""
    return _tables()[1].get(char) or initial(char)


def search_keys(name: str) -> str:
    """What a typed query is matched against: the name's initials and its syllables run
    together ("ly liuyang" for 刘洋), lower case, space-separated."""
    letters = "".join(initial(char) for char in name)
    spelled = "".join(syllable(char) for char in name)
    return f"{letters} {spelled}".strip()


def matches(name: str, query: str) -> bool:
    """Whether ``query`` finds ``name``: a part of the name, or the start of its initials
    or of its spelling."""
    query = query.strip().lower()
    if not query:
        return True
    if query in name.lower():
        return True
    return any(key.startswith(query) for key in search_keys(name).split())
