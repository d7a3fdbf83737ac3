"""Traditional Chinese characters folded to their simplified forms, one character for one.

Tickets from Hong Kong, Macao and Taiwan write 開不了票, 連線逾時, 伺服器當機; the vocabulary is
written in simplified characters. Folding the text before matching lets one pattern serve both.
The table holds the characters that occur in support tickets about invoicing systems, not a full
conversion; words that differ between the regions (列印 for 打印, 伺服器 for 服务器) are
vocabulary and live in the patterns.
"""

from __future__ import annotations

import re
from typing import Literal

_TRADITIONAL = (
    "丟並亂亞佔來侖侶俠倉個們倫偉側偵偽傘備傭傳債傷傾僅僑僥價儀億儉優儲兒內兩冊凍別刪"
    "則剛創劃劇劑勁動務勝勞勢勳勵勸勻匯區協卻參吳員問啞啟單嗎嗚嘆嘗嚇嚴圍園圓圖團執堅"
    "報場塊塗塵墊壇壓壞壽夠夢夾奪奮婦媽孫學宮實寧審寫寬寵寶將尋對導層屬島帥師帳帶幟幣"
    "幫幾庫廁廠廢廣廳張彈彎後徑從復徹悅惡惱愛態慘慣慮慶憑憤憲憶懇應懷懼戀戰戲戶掃掛揚"
    "換揮損搖搶摟撐撥撫撲擁擇擊擋擔據擠擬擲擴擺擾攔攜攝攪敗敘敵數斷時晝暢暫曉曠曬書會"
    "條棄楊業極構槍樂樓標樣樹橋機橫檔檢櫃欄權歡歲歷歸殘殲殺毀氣沒沖洩淚淨淺減測湯準溝"
    "溫滅滬滯滾滿漢漲漸潑潔潛潤潰澇澤濃濟濫濾瀏灣災為無煉煙煥熱燈燒營爐爛爺爾牽狀狹猶"
    "獨獲獵獸獻現瑪環產畢畫異當瘋療發監盤盧眾睜確碼磚礎礦稅種稱積穩窮竅竊競筆節範築簡"
    "簽籠糧糾紀約紅紋納純紙級細紹終組結絕絡給統絲綁經綜綠維網綿緊緒線緣編緩練縣縮總績"
    "織繞繪繳繼續纜罰羅義習聞聯聰職聽肅脅脫腦腫腳腸膚臉臟臨臺興舉舊艱華萬葉著蓋薦藥蘆"
    "蘇蘭蘿處虛號虧蝕蟲術衛裏補裝裡複見規視親覺覽觀觸訂計訊討訓記訪設許訴診詐評詞詢試"
    "話該詳認語誠誤說誰課調談請論諮諸謀謂講謝證識譜議護讀變讓豈豬貝負財貢貨販貫責貴買"
    "貸費貼賀資賓賠賣質賬賴購賽贊趕趙趨踐蹤躍車軌軍軟較載輔輕輛輩輪輯輸轉轟辦辯農這連"
    "進運過達違遞遠適遲遷選遺還邊邏郵鄉鄭鄰醫醬釋釘針釣鈕鈴鉛銀銳銷鋼錄錢錫錯鍋鍵鎖鎮"
    "鏈鏡鐘鐵鑒鑰長門閃閉開閒間閘閣閥閱闖關陣陰陳陸陽隊階際隨險隱雙雜雞離難雲電霧靈韓"
    "響頁頂項順須預頓領頭頻題額顏願類顧顯風颱飄飯飲飽飾養餘館饋駕騙騰驅驗驚驟髒體鬆鬧"
    "魚鳥鳴麗麥麼黃點黨齊齋齒齡龍"
)
_SIMPLIFIED = (
    "丢并乱亚占来仑侣侠仓个们伦伟侧侦伪伞备佣传债伤倾仅侨侥价仪亿俭优储儿内两册冻别删"
    "则刚创划剧剂劲动务胜劳势勋励劝匀汇区协却参吴员问哑启单吗呜叹尝吓严围园圆图团执坚"
    "报场块涂尘垫坛压坏寿够梦夹夺奋妇妈孙学宫实宁审写宽宠宝将寻对导层属岛帅师账带帜币"
    "帮几库厕厂废广厅张弹弯后径从复彻悦恶恼爱态惨惯虑庆凭愤宪忆恳应怀惧恋战戏户扫挂扬"
    "换挥损摇抢搂撑拨抚扑拥择击挡担据挤拟掷扩摆扰拦携摄搅败叙敌数断时昼畅暂晓旷晒书会"
    "条弃杨业极构枪乐楼标样树桥机横档检柜栏权欢岁历归残歼杀毁气没冲泄泪净浅减测汤准沟"
    "温灭沪滞滚满汉涨渐泼洁潜润溃涝泽浓济滥滤浏湾灾为无炼烟焕热灯烧营炉烂爷尔牵状狭犹"
    "独获猎兽献现玛环产毕画异当疯疗发监盘卢众睁确码砖础矿税种称积稳穷窍窃竞笔节范筑简"
    "签笼粮纠纪约红纹纳纯纸级细绍终组结绝络给统丝绑经综绿维网绵紧绪线缘编缓练县缩总绩"
    "织绕绘缴继续缆罚罗义习闻联聪职听肃胁脱脑肿脚肠肤脸脏临台兴举旧艰华万叶着盖荐药芦"
    "苏兰萝处虚号亏蚀虫术卫里补装里复见规视亲觉览观触订计讯讨训记访设许诉诊诈评词询试"
    "话该详认语诚误说谁课调谈请论咨诸谋谓讲谢证识谱议护读变让岂猪贝负财贡货贩贯责贵买"
    "贷费贴贺资宾赔卖质账赖购赛赞赶赵趋践踪跃车轨军软较载辅轻辆辈轮辑输转轰办辩农这连"
    "进运过达违递远适迟迁选遗还边逻邮乡郑邻医酱释钉针钓钮铃铅银锐销钢录钱锡错锅键锁镇"
    "链镜钟铁鉴钥长门闪闭开闲间闸阁阀阅闯关阵阴陈陆阳队阶际随险隐双杂鸡离难云电雾灵韩"
    "响页顶项顺须预顿领头频题额颜愿类顾显风台飘饭饮饱饰养余馆馈驾骗腾驱验惊骤脏体松闹"
    "鱼鸟鸣丽麦么黄点党齐斋齿龄龙"
)
assert len(_TRADITIONAL) == len(_SIMPLIFIED)

TO_SIMPLIFIED = str.maketrans(_TRADITIONAL, _SIMPLIFIED)


def to_simplified(text: str) -> str:
    """`text` with traditional characters replaced by simplified ones (same length)."""
    return text.translate(TO_SIMPLIFIED)


# --- which script a text is written in ---------------------------------------------------------

# Simplified forms of the table that are also ordinary traditional characters (臺灣 is often
# written 台灣, 公里 keeps 里, 皇后 keeps 后): they say nothing about the script.
_SHARED = frozenset("台里后余松几着冲范只复叶")
_TRADITIONAL_ONLY = frozenset(_TRADITIONAL) - frozenset(_SIMPLIFIED)
_SIMPLIFIED_ONLY = frozenset(_SIMPLIFIED) - frozenset(_TRADITIONAL) - _SHARED
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def chinese_script(text: str) -> Literal["simplified", "traditional"] | None:
    """The script of a text written in Chinese, or None when it is not mostly Chinese or uses
    no character that tells the two apart.

    Written by hand over the folding table above rather than with a converter library: the
    table already lists the characters that differ in these tickets, and the answer is only a
    weak default for choosing plan steps. A text counts as Chinese when it has at least two Han
    characters and no fewer of them than Latin words ("error 1001 开票失败" is Chinese, "the
    printer shows 卡纸" is not).
    """
    han = len(_HAN.findall(text))
    if han < 2 or han < len(_LATIN_WORD.findall(text)):
        return None
    traditional = sum(1 for ch in text if ch in _TRADITIONAL_ONLY)
    simplified = sum(1 for ch in text if ch in _SIMPLIFIED_ONLY)
    if traditional > simplified:
        return "traditional"
    if simplified > traditional:
        return "simplified"
    return None
