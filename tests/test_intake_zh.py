"""Chinese phrasing classes: word orders, split verbs, mixed zh/en, Cantonese and Taiwan words.

Each class is given a few phrasings of its own; the fast matcher must read each of them as the
reference path does, and the non-faults that share their words must stay undiagnosed."""

from __future__ import annotations

import pytest

from diagnoser.intake import Vocabulary, read_text

# (text, a symptom it must read)
READS = [
    # a verb and its object split by an aspect word: 断过网, 断了网
    ("之前也断过网，今天又断了", "network_down"),
    ("店里上午断了两次网", "network_down"),
    # the state before the program named: V-不-V + object
    ("一直打不开开票软件", "crash_on_startup"),
    ("早上启动不了开票系统", "crash_on_startup"),
    # the server, then its state a clause later or across a time phrase
    ("開票伺服器，早上起來就當機了", "server_down"),
    ("server 从昨晚开始就 down 了", "server_down"),
    ("服务器今早开始就挂了", "server_down"),
    ("服务器硬盘，昨天开始一直报警", "disk_failure"),
    ("硬碟，今天開機後一直告警", "disk_failure"),
    # Cantonese forms of the same states
    ("開票軟件開唔到", "crash_on_startup"),
    ("個開票系統打唔開", "crash_on_startup"),
    ("開票系統死咗機，郁唔到", "system_frozen"),
    ("開票程式一開就彈走", "app_crash"),
    ("收銀機黑晒屏，開唔返", "terminal_hardware_fault"),
    ("成間舖冇晒網", "network_down"),
    ("條網線斷咗", "network_down"),
    ("個網一時得一時唔得", "intermittent_connection"),
    ("個網慢到爆", "network_slow"),
    ("主機瓜咗，所有收銀機都連唔到", "server_down"),
    ("硬碟壞咗", "disk_failure"),
    ("登入唔到，話密碼唔啱", "cannot_login"),
    ("登入唔到，話密碼唔啱", "wrong_password"),
    ("稅局平台上唔到", "platform_error"),
    ("加值中心個系統死咗，上傳唔到", "intermediary_failing"),
    ("加值中心個系統死咗，上傳唔到", "upload_failure"),
    ("資料庫壞咗", "db_corrupted"),
    ("以前嘅發票睇唔到", "data_lost"),
    ("印表機甩咗線", "printer_offline"),
    # Taiwan: a malformed carrier or donation code; a layout said of the print stays the print's
    ("載具號碼格式不對，上傳失敗", "validation_rule_error"),
    ("手機條碼格式錯誤", "validation_rule_error"),
    ("列印格式跑掉了", "print_misaligned"),
    # mixed zh/en: a few hanzi or spaces between an English object and its state
    ("更新到 latest version 以后就打不开", "after_upgrade"),
    ("店里 wifi 又断了", "network_down"),
    ("网络 down 了一上午", "network_down"),
    ("网速超级 slow", "network_slow"),
    ("password 一直提示错误", "wrong_password"),
    ("POS 机开机一直卡在 logo", "terminal_hardware_fault"),
    ("开票软件点开票按钮就卡住不动", "system_frozen"),
    # the receiver's mailbox or registration gone, Cantonese and Taiwan
    ("寄俾客嘅 email 全部彈返轉頭，話個信箱停用咗", "receiver_gone"),
    ("傳給買方失敗，回覆說對方沒有登記接收", "receiver_gone"),
    # printing: blank paper, a stop halfway, a printer that "seems" broken (好似)
    ("張單印出嚟一片空白", "faint_print"),
    ("感熱紙發票印到一半就停", "paper_jam"),
    ("部打印機好似壞咗", "printer_offline"),
    # a server host's fan and lamps, Cantonese
    ("嗰部主機風扇唔轉、燈都唔著", "server_down"),
    # files encrypted for a ransom, Cantonese
    ("啲檔案加密咗 要俾錢先解", "cyber_attack"),
    # the platform's and the value-added centre's own words
    ("数电平台一上午都在报请求失败", "platform_error"),
    ("系统提示稍后再试", "platform_error"),
    ("發票在加值中心後台一直是待上傳", "intermediary_down"),
    ("問了加值中心才承認他們的上傳排程壞了一陣子", "intermediary_failing"),
    # the link's bandwidth eaten by something named between
    ("頻寬被監視器上傳吃光", "network_slow"),
    # calls blocked for their volume; a void past its period; a full drive (槽 in Taiwan)
    ("我們的 IP 呼叫量異常", "rate_limited"),
    ("平台说调用次数太多 接口权限先停了", "api_blocked"),
    ("系統說已超過作廢期限", "red_invoice_failure"),
    ("發票主機 D 槽剩 0 MB", "disk_full_message"),
    ("开票软件里的药品编码一个都不剩", "local_data_damaged"),
    # terminal, printer, disk and array, Cantonese and Taiwan
    ("收銀機個 mon 成日黑咗", "terminal_hardware_fault"),
    ("部打印機成日食紙", "paper_jam"),
    ("主機硬碟亮橘燈", "disk_failure"),
    ("RAID 顯示降級", "disk_failure"),
    # the network all down, the router's lamps (灯号) out
    ("門市網路全斷", "network_down"),
    ("路由器燈號全滅", "network_down"),
    # API keys and fields, Taiwan words
    ("加值中心說我們呼叫太頻繁", "rate_limited"),
    ("把我們的 API 金鑰停權了", "api_blocked"),
    ("說品名欄位不能空白", "validation_rule_error"),
    ("上傳後被平台退回", "invoice_rejected"),
    # login, settings, program, memory
    ("工商憑證的 PIN 碼忘記了，登不進平台", "forgot_password"),
    ("工商憑證的 PIN 碼忘記了，登不進平台", "cannot_login"),
    ("上傳位址還是舊的", "config_wrong"),
    ("Windows 更新後發票系統就打不開了", "crash_on_startup"),
    ("主機記憶體一直飆到九成以上", "high_memory"),
    # part of each character missing; a network that crawls, said with 得要死
    ("针式打印机打出来的字缺了一截", "faint_print"),
    ("一到中午网就卡得要死", "network_slow"),
    # a Cantonese question beside a report: the report keeps the mention
    ("大平台係咪掛咗？我哋全部上傳唔到", "platform_error"),
    # old data the new version will not take
    ("升级以后，以前的资料汇入不了", "version_conflict"),
    # more Cantonese: faint print, a till that switches itself off, a flickering screen, the
    # device not recognised (state first), a forgotten password, stock used up, data gone,
    # a server that does not react
    ("打印機啲字好淡，睇唔清", "faint_print"),
    ("部收銀機成日自己熄機", "terminal_hardware_fault"),
    ("收銀機部mon閃吓閃吓", "terminal_hardware_fault"),
    ("部電腦認唔到個稅控盤", "device_not_detected"),
    ("个密码唔记得咗", "forgot_password"),
    ("發票用晒，仲未領新嘅", "invoices_used_up"),
    ("啲發票資料冇晒", "data_lost"),
    ("伺服器冇反應", "server_down"),
    ("服务器那边没反应", "server_down"),
    # the state before the platform or the provider named
    ("上不去税局网站", "platform_error"),
    ("今天一直连不上加值中心", "intermediary_failing"),
    # memory full said as 爆滿, a frozen screen as 卡到不動, data gone without 了
    ("收銀機記憶體爆滿，很慢", "high_memory"),
    ("開票畫面卡到不動", "system_frozen"),
    ("重灌之後商品資料全部不見", "data_lost"),
    # the tax device not found, in Cantonese
    ("金稅盤插咗上去都話搵唔到", "device_not_detected"),
    # English chat shorthand: a net that is choked or crawling, a line that comes n goes
    ("shop net choked since noon, uploads stall", "network_slow"),
    ("the net is up but crawling", "network_slow"),
    ("wifi comes n goes all afternoon", "intermittent_connection"),
    # a .NET message quoted short, a buyer's PEC mailbox full
    ("save fails with object reference not set", "program_bug"),
    ("the buyer's pec mailbox is full", "receiver_gone"),
    # cannot issue with the invoice kind named
    ("下午開不了專票", "cannot_issue"),
    ("一直开不出数电票", "cannot_issue"),
    # Taiwan words for issuing, sending and a busy platform: 開立, 傳送, 忙碌, 跳錯誤
    ("今天發票開立一直失敗", "cannot_issue"),
    ("收銀機無法開立發票", "cannot_issue"),
    ("系統顯示重複開立", "duplicate_submission_error"),
    ("發票傳送失敗好幾次", "upload_failure"),
    ("B2B 發票一直傳不出去", "upload_failure"),
    ("財政部平台一直顯示系統忙碌", "platform_error"),
    ("按下列印就跳錯誤", "error_message"),
    ("系統不給作廢", "red_invoice_failure"),
    ("作廢發票一直失敗", "red_invoice_failure"),
    # the till dead or silent, in Cantonese and Taiwan wording; 部機 is the machine at hand
    ("收銀機冇反應", "terminal_hardware_fault"),
    ("收銀機壞咗", "terminal_hardware_fault"),
    ("部機死咗", "terminal_hardware_fault"),
    ("發票機開不了機", "terminal_hardware_fault"),
    # Cantonese: getting into the system is a login, the password not right, the program not opening
    ("系統入唔到", "cannot_login"),
    ("密碼唔得", "wrong_password"),
    ("個系統開唔到", "crash_on_startup"),
    # the buyer never gets the e-mailed invoice
    ("買方一直收不到發票 email", "delivery_failed_to_recipient"),
    # a word between the invoice and 開不了; the period's track used up or not switched on
    ("發票都開不了", "cannot_issue"),
    ("字軌用罄", "number_range_exhausted"),
    ("當期字軌還沒啟用", "stock_not_loaded"),
    # the printer not connected, the print askew; no internet, the cable pulled (Taiwan wording)
    ("印表機沒有連線", "printer_offline"),
    ("發票印歪了", "print_misaligned"),
    ("店裡沒辦法上網", "network_down"),
    ("網路線被拔掉了", "network_down"),
    # mainland: on the risk list, issuing restricted; new stock not loading; a word in a login
    ("公司被税局列入风险名单", "taxpayer_risk_flagged"),
    ("这两天开票受限", "taxpayer_risk_flagged"),
    ("新领的发票读不进去", "stock_not_loaded"),
    ("扫码登录一直失败", "cannot_login"),
    ("网断了，开不了票", "network_down"),
    # Cantonese: the computer not starting (著 stays 著), no paper, a line that often drops
    ("部電腦開唔著", "terminal_hardware_fault"),
    ("打印機冇紙", "paper_out"),
    ("wifi 成日斷", "intermittent_connection"),
    # Cantonese: the program dead or kicked out, the password typed wrong and locked
    ("個程式死咗", "system_frozen"),
    ("個軟件成日彈走", "app_crash"),
    ("密碼打錯咗三次", "wrong_password"),
    ("張卡鎖咗", "password_locked"),
    # Cantonese: the numbers used up, none left
    ("發票號碼用晒", "number_range_exhausted"),
    ("冇發票號碼", "number_range_exhausted"),
    # a Hong Kong building without power; a fire nearby, the street closed
    ("商場成座冇電", "power_outage"),
    ("對面大廈火警", "natural_disaster"),
    ("消防封咗條路", "natural_disaster"),
    # number books used up, none added yet; stock not given to this till; a roll printed out
    ("配號本數已經用完", "number_range_exhausted"),
    ("加值中心還沒加本", "stock_not_loaded"),
    ("新的發票沒分配給二號機", "stock_not_loaded"),
    ("这卷票打光了", "invoices_used_up"),
    # typed as someone else's; issued to the wrong customer (mixed); an ERP tax code set wrong
    ("統編輸成別人的", "user_error"),
    ("invoice 开给了错的 customer", "user_error"),
    ("ERP 里 CGST 设错了", "config_wrong"),
    # writes refused on a full disk; a new version that will not start; an OS not supported
    ("硬碟空間不夠，資料無法寫入", "disk_full_message"),
    ("裝了新版就起不來", "crash_on_startup"),
    ("升級後 client 打不開", "crash_on_startup"),
    ("程式說不支援此作業系統版本", "version_mismatch"),
    # the window vanishing on a click; API access stopped; a slow tunnel; the platform sends it back
    ("按下開立視窗就直接消失", "app_crash"),
    ("接口被暂停了，说调用错误太多", "api_blocked"),
    ("VPN 太慢了", "network_slow"),
    ("平台退回，說金額不符", "invoice_rejected"),
    # a street or area without power with a word between; the provider holding the invoices
    ("整條街都沒電", "power_outage"),
    ("加值中心那邊發票都卡在處理中", "intermediary_failing"),
    # half a sheet printed, white lines, a disk lamp red, a main board burnt
    ("發票只印出上半部", "print_failure"),
    ("熱感紙印出來有一條白線", "faint_print"),
    ("NAS 的硬碟燈一直閃紅色", "disk_failure"),
    ("收銀機主機板燒掉了", "terminal_hardware_fault"),
    # the track numbers all used; offline too long; sent again; two copies received; cannot be sent
    ("字軌號碼全部用完了", "number_range_exhausted"),
    ("離線時間太久", "offline_limit_exceeded"),
    ("程式自動重送了一次", "resubmitted"),
    ("客人收到兩張一樣的發票", "same_invoice_twice"),
    ("裝了新版以後 Turnkey 傳不出去", "upload_failure"),
    ("公司被列為異常", "taxpayer_risk_flagged"),
    # ransom said as paying to unlock; the breaker box tripped; paper rolled up inside
    ("畫面說要付錢才給解密", "cyber_attack"),
    ("電箱跳掉了", "power_outage"),
    ("出單機的紙一直捲在裡面", "paper_jam"),
    # the server restarting again and again; a disk burnt; the card reader silent; a black screen
    ("伺服器一直重開", "server_down"),
    ("伺服器硬碟燒掉", "disk_failure"),
    ("讀卡機插上去沒反應", "device_not_detected"),
    ("收銀機開機後就黑畫面", "terminal_hardware_fault"),
    # the network down with a word between; the modem without lamps; a password typed wrong often
    ("網路完全斷掉", "network_down"),
    ("數據機沒有燈", "network_down"),
    ("密碼打錯太多次", "wrong_password"),
    # 超慢, a memory that keeps bursting, errors popping up said short
    ("系統跑超慢", "slow_response"),
    ("記憶體一直爆", "high_memory"),
    ("更新之後就一直跳錯", "error_message"),
    # Hong Kong code-mixing: the noun in English, the state in Cantonese
    ("部 printer 壞咗", "printer_offline"),
    ("wifi 斷咗", "network_down"),
    ("個網 down 咗", "network_down"),
    ("個 router 壞咗", "network_down"),
    ("network 好唔穩定", "intermittent_connection"),
    ("login 唔到", "cannot_login"),
    ("個 account 俾人 lock 咗", "password_locked"),
    ("upload 唔到發票", "upload_failure"),
    ("開唔到 invoice", "cannot_issue"),
    ("update 完之後開唔到個 app", "after_upgrade"),
    ("update 完之後開唔到個 app", "crash_on_startup"),
    ("個 database 壞咗", "db_corrupted"),
    ("harddisk 壞咗", "disk_failure"),
    ("部 POS 死機", "terminal_hardware_fault"),
    ("printer 壞掉了", "printer_offline"),
    ("login 不了", "cannot_login"),
    # Turnkey, the MOF's transmission program, as the program that fails; a certificate refused
    ("Turnkey 打不開", "crash_on_startup"),
    ("Turnkey 一直顯示憑證錯誤", "certificate_expired"),
    ("二聯式的發票印歪", "print_misaligned"),
    # since the update; a long wait; the business's registration abnormal, its invoices stopped
    ("自從更新了新版的開票程式，印表機就印不出發票了", "after_upgrade"),
    ("開發票就要等超久", "slow_response"),
    ("公司營業狀態異常", "taxpayer_risk_flagged"),
    ("發票暫停使用", "taxpayer_risk_flagged"),
    # mainland chat slang and short forms: 卡成PPT, 转菊花, 被人盗, 验证码收不到, 开重了, 发票库
    ("电脑卡成PPT了", "slow_response"),
    ("开票软件一直在转菊花", "slow_response"),
    ("账号被人盗了", "cyber_attack"),
    ("验证码一直收不到", "cannot_login"),
    ("发票开重了", "same_invoice_twice"),
    ("开票开了两遍", "duplicate_submission_error"),
    ("发票库损坏", "db_corrupted"),
    # Taiwan colloquial: 秀逗, 壞掉了, 跑不動, 抓不到 the printer, an error window popping up
    ("印表機秀逗了", "printer_offline"),
    ("電腦抓不到印表機", "printer_offline"),
    ("收銀機壞掉了", "terminal_hardware_fault"),
    ("收銀機跑不動", "terminal_hardware_fault"),
    ("POS 按了沒反應", "terminal_hardware_fault"),
    ("發票系統一直跳出來錯誤視窗", "error_message"),
    ("整間店都沒電", "power_outage"),
    ("有人亂登入我們的帳號", "cyber_attack"),
    # a ransom told as a transfer for the password; heavy rain coming in; a Hong Kong landslide
    ("畫面說要轉帳才會給密碼", "cyber_attack"),
    ("豪雨淹進店裡", "natural_disaster"),
    ("山泥傾瀉", "natural_disaster"),
    # the buyer's mailbox changed; the B2B exchange failing; the check digit of the number wrong
    ("對方說他們換了收票信箱", "receiver_gone"),
    ("B2B 發票交換一直失敗", "delivery_failed_to_recipient"),
    ("買受人統編檢查碼錯誤", "buyer_tax_id_invalid"),
    # the server hung; a disk lamp amber; the modem's lamps all red; the line taken by downloads
    ("機房主機一早當掉", "server_down"),
    ("硬碟燈變橘色", "disk_failure"),
    ("數據機燈號全紅", "network_down"),
    ("網路被人下載東西佔滿", "network_slow"),
    # 著唔到; the next track not obtained; resent by the program itself; the customer got two
    ("收銀機著唔到", "terminal_hardware_fault"),
    ("下一期字軌還沒拿到", "stock_not_loaded"),
    ("程式逾時自己重送", "resubmitted"),
    ("客人收到兩張", "same_invoice_twice"),
    # mainland: someone else issuing on the account; a rate not offered; old invoices all gone
    ("有人半夜用我们的账号开了一堆票", "cyber_attack"),
    ("开票时选不到 6% 的税率", "tax_rate_unavailable"),
    ("以前的发票一张都看不到", "data_lost"),
    # Cantonese characters t2s rewrites: 搵 is read as 揾, 撳 as 揿 (the vocabulary writes those)
    ("之前開過嘅單搵唔到", "data_lost"),
    ("打印機搵唔到", "printer_offline"),
    ("個系統撳唔開", "crash_on_startup"),
    # Hong Kong: a virus caught, the platform or the provider dead, the server beeping then off
    ("部電腦中咗毒", "cyber_attack"),
    ("個平台今日好似死咗", "platform_error"),
    ("供應商個系統 down 咗", "intermediary_failing"),
    ("server 嗰度嘟嘟聲，跟住就熄咗", "server_down"),
    # Hong Kong: the line cut, the settings changed by someone, the old bills all gone
    ("條線斷咗", "network_down"),
    ("個設定俾人改咗", "config_wrong"),
    ("啲舊單全部唔見晒", "data_lost"),
    # the write-back not done, in Cantonese; the registered details not matching; rolls loaded wrong
    ("反寫冇成功", "writeback_pending"),
    ("部機仲話未清卡", "writeback_pending"),
    ("提示纳税人信息不一致", "registration_mismatch"),
    ("换票卷的时候顺序放反了", "user_error"),
    ("纸上的号码比系统里大了好几号", "invoice_number_mismatch"),
    # Taiwan chat with an English word for the state: 上傳一直 fail, 網路很 lag, wifi 訊號很差
    ("上傳一直 fail", "upload_failure"),
    ("網路很 lag", "network_slow"),
    ("wifi 訊號很差", "intermittent_connection"),
    # Taiwan 門市 and 全台 for the business's shops, words before 都; cannot upload said plainly
    ("全台門市都上傳失敗", "own_branches_affected"),
    ("所有分店的 POS 都連不上伺服器", "own_branches_affected"),
    ("其他分店都正常，只有我們不能上傳", "upload_failure"),
    ("平台今天暫停服務", "maintenance_notice"),
    # a host unreachable for every store; the link's own on-and-off; a blank test page
    ("监控报 srv-03 主机不可达 全部门店收不了款", "server_down"),
    ("店裡的 WiFi 一下有一下沒有", "link_flapping"),
    ("印表機自我測試頁整張空白", "faint_print"),
    # a certificate locked, keys pressed one too few, an invoice type with its holder between
    ("自然人憑證被鎖了", "password_locked"),
    ("打統編的時候少按了一個數字", "user_error"),
    ("票种我们单位还没核定", "invoice_type_not_approved"),
    # a program quitting on one page; a data folder deleted; a rate a branch cannot issue at
    ("点进报表那页程序就直接退掉", "app_crash"),
    ("不小心把 data 文件夹删了", "data_files_deleted"),
    ("分店開不出 5% 的稅率", "tax_rate_unavailable"),
    # drops counted per so many minutes; kicked out said short; the remaining credit bottomed out
    ("收银台的网络二十分钟就掉一次", "intermittent_connection"),
    ("后台登录总被踢", "session_expired"),
    ("本月可用額度見底了", "quota_insufficient"),
    # SMART before the disk; a drive gone red or a few megabytes left; a register stored full
    ("开机跳出 SMART 告警", "disk_failure"),
    ("系统盘变红了", "disk_full_message"),
    ("D槽空間只剩不到300MB", "disk_full_message"),
    ("收款机提示机器里存满了", "disk_full_message"),
    # a program gone in one go; the sum the software made itself
    ("一点开具整个软件就不见了", "app_crash"),
    ("税额是系统自动算的，跟明细差一分", "program_bug"),
    # a till's screen lines told with a verb between; a spare that works
    ("收銀機螢幕上跑出好多彩色條紋", "terminal_hardware_fault"),
    ("備用機正常", "only_this_terminal"),
    # lists not brought over to a new machine; issued invoices not found said with 着
    ("换电脑以后客户资料没导过来", "data_lost"),
    ("以前开的票查不着了", "data_lost"),
    # a stretch of street without power, no 都; a buyer not set up to receive
    ("整条巷子停电了", "power_outage"),
    ("平台說對方公司沒有設定接收", "receiver_gone"),
    # a screen gone dark a word on, the next till in Cantonese; reboots without end
    ("收銀機個螢幕成個黑晒", "terminal_hardware_fault"),
    ("隔離嗰部照用", "only_this_terminal"),
    ("收银机一直无限重启", "terminal_hardware_fault"),
    ("开票服务器从昨晚开始反复自己重启", "server_down"),
    # the merchant's own stores across the country; a risk list and the supply said short
    ("全国二十家门店都开不了票", "own_branches_affected"),
    ("我们上了风险名单", "taxpayer_risk_flagged"),
    ("被暂停供票了", "taxpayer_risk_flagged"),
    # records gone counted; hail and a flash flood; a filing nobody did
    ("商品编码一个都没有了", "local_data_damaged"),
    ("客户档案少了两百多户", "local_data_damaged"),
    ("冰雹把窗户砸了", "natural_disaster"),
    ("山洪冲进了店里", "natural_disaster"),
    ("那几天没人弄抄报", "overdue_filing"),
    # a line cut outright; a line shared
    ("网路完全断线", "network_down"),
    ("整层柜位共用一条线", "bandwidth_shared"),
]

# (text, a symptom it must not read)
NOT_READ = [
    # the network's own box upgraded is no upgrade of the invoicing software
    ("升级路由器固件以后，一直连不上", "after_upgrade"),
    ("更新了分享器的韌體之後就上不了網", "after_upgrade"),
    # the till named before, the machine restarting after: the server's state, not the till's
    ("總部主機掛了，分店的POS都連不到，機器一直重開", "terminal_hardware_fault"),
    ("國稅局來函說公司營業狀態異常，發票暫停使用", "maintenance_notice"),
    # "cannot be used" a clause later is said of the numbers, not of the till named before
    ("POS說沒有可用字軌，上一期的還有剩但不能用", "terminal_hardware_fault"),
    # another computer, the same result, is no new computer; a check digit is no password
    ("稅控盤插了沒反應，換一台電腦一樣", "after_reinstall"),
    ("買受人統編檢查碼錯誤", "wrong_password"),
    ("載具號碼格式不對", "print_misaligned"),
    ("购方识别号格式不对", "print_misaligned"),
    ("网络没 down，是打印机坏了", "network_down"),
    # a login that fails names no platform outage: the caller's own network may be down
    ("税务ukey也登录不了电子税务局", "platform_error"),
    # 登入唔到 is a login, not a connection; 全部機器 holds no 部機 of its own
    ("登入唔到個系統", "cannot_connect"),
    ("所有分店部機都開唔到單", "terminal_hardware_fault"),
    # a rate chosen wrong while issuing is the clerk's act, not a setting (设错 is)
    ("发票开错了，税率选错了", "config_wrong"),
    ("開票時稅率選錯", "config_wrong"),
    # goods sent back are no program quitting; a lock date close at hand is no lock yet
    ("客户说这批货要直接退掉", "app_crash"),
    ("眼看就到锁死日了，清卡还没做", "device_locked"),
    # 不匹配 said of data is no version clash; plenty of space left is no full disk
    ("商品编码和税率不匹配", "version_mismatch"),
    ("硬盘空间还剩两百多G", "disk_full_message"),
    # one test upload to the sandbox on purpose; people watching videos is no congestion by itself
    ("先传一张到测试环境试试", "config_wrong"),
    ("员工中午在刷视频", "network_slow"),
    # a colleague who did not come over, a chat group one is kicked from
    ("以前的同事今天没过来", "data_lost"),
    ("又被踢出群了", "session_expired"),
    # a line cut outright is not on and off; what shares a line is not yet slow
    ("网路完全断线", "intermittent_connection"),
    ("仓库在传监控录像", "network_slow"),
    # the merchant's own stores across the country are not the city
    ("全国二十家门店都开不了票", "citywide_reports"),
]

# texts with the same words that report nothing
NOTHING = [
    "上周断过一次网，后来已经恢复了",
    "请问打不开开票软件一般是什么原因？",
    "服务器硬盘报警的时候该怎么处理？",
    # Cantonese denials and thanks
    "打印機冇卡紙，只係想問點樣換色帶",
    "唔係斷網，網絡冇問題",
    "網絡冇事，打印機冇事，謝謝",
    # a coming stop asked about ahead; how to apply for more numbers
    "下周园区要检修线路停电半天 到时候药店收银还能不能开票 先问问",
    "請問下一期字軌要怎麼申請增加本數？這期還夠用",
    # a Cantonese yes/no question alone, and a Cantonese resolution
    "大平台係咪掛咗？",
    "部打印機係咪壞咗？",
    "昨日個網斷咗一陣，而家已經好返",
    # what can still be done while an outage lasts, asked without a question mark
    "断网的时候还能不能离线开票",
    # how to void, and a platform busy asked about
    "請問超過期限的發票要怎麼作廢？",
    "財政部平台今天是不是很忙碌？",
    "請問當期字軌要去哪裡啟用？",
    "被列入风险名单以后要怎么解除？",
    "打印機冇紙咗，已經搞掂，冇問題",
    "部打印機係咪要換碳帶？",
    # a typhoon day off is a holiday: asking about deadlines around it reports nothing
    "颱風假那幾天的發票，上傳期限可以延後嗎？",
    "上個月整條街停電的事已經處理好了，謝謝",
    "請問離線開票最多可以多久？",
    "請問離線時間最多幾天？",
    "讀卡機要去哪裡買？",
    "printer 係咪壞咗？",
    "如果 wifi 斷咗點算？",
    "之前 server down 咗，而家已經好返",
    "请问怎么让同事用我们的账号登录？",
    "上個禮拜條線斷咗，而家已經好返",
    # invoices of an outage reissued and done; nothing to handle; the network fine after all
    "停电那天漏开的票今天都补开完了",
    "群里都在说大平台挂了，我们照常开票，不用处理",
    "中午网络断了一下，网络其实早就恢复了",
    # a threat said to be rampant, asked about; lists brought over fine
    "新闻说勒索病毒很猖獗，我们要怎么防？目前没问题",
    "换了新主机，客户资料都带过来了，谢谢",
    # what shares the line with nothing failing; fine again now with 都; how it would come about
    "店里在上传监控录像，开票一切正常",
    "前幾天加值中心卡住的事，現在都正常囉",
    "怎样才会被列入风险名单？",
]


@pytest.fixture(scope="module")
def both_paths(shipped) -> tuple[Vocabulary, Vocabulary]:
    return Vocabulary.build(shipped.kb), Vocabulary.build(shipped.kb, finder="reference")


@pytest.mark.parametrize(("text", "symptom"), READS)
def test_a_chinese_phrasing_reads_its_symptom(shipped, text, symptom):
    assert symptom in {s.id for s in shipped.diagnose({"text": text}).symptoms}


@pytest.mark.parametrize(("text", "symptom"), NOT_READ)
def test_a_chinese_phrasing_does_not_read_a_look_alike(shipped, text, symptom):
    assert symptom not in {s.id for s in shipped.diagnose({"text": text}).symptoms}


@pytest.mark.parametrize("text", NOTHING)
def test_the_same_words_in_a_non_fault_give_nothing(shipped, text):
    assert not shipped.diagnose({"text": text}).diagnoses


def test_fast_and_reference_paths_read_these_phrasings_alike(both_paths):
    fast, plain = both_paths
    for text in [t for t, _ in READS + NOT_READ] + NOTHING:
        assert read_text(text, fast) == read_text(text, plain), text
