"""Error codes with their sentences in zh-CN and en, and the language a request asks for.

The server answers every 4xx as {detail, code, params}: `detail` is `render(code, params, lang)` in the
language of the request's Accept-Language (Chinese unless English is asked for); the phone renders the
same `code` and `params` in its own language. A sentence says what was wrong and what to do.

In a template, `{name}` is a parameter; a list is joined ("、" in Chinese); `{name:table}` shows a key by
its name in that table (category, severity, status, action, role, photo_kind)."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


class RuleViolation(ValueError):
    """A rule said no. `code` names the rule; `params` fill its sentence in any language."""

    def __init__(self, code: str, **params: Any):
        super().__init__(render(code, params, "en"))
        self.code = code
        self.params = params

    def sentence(self, lang: str) -> str:
        return render(self.code, self.params, lang)


MESSAGES: dict[str, dict[str, str]] = {
    # ---- generic ---------------------------------------------------------------------------------------------
    "bad_request": {"zh": "请求有误。", "en": "The request is not valid."},
    "not_found": {"zh": "未找到该{record:record}。", "en": "{record:record} not found."},
    "no_such_path": {
        "zh": "SafeRound 接口没有这个地址；请查看 /docs。",
        "en": "There is no such address in the SafeRound API; see /docs.",
    },
    "method_not_allowed": {"zh": "这个地址不接受 {method} 请求。", "en": "This address does not take {method}."},
    "invalid_request": {"zh": "请检查请求：{problems}。", "en": "Check the request: {problems}."},
    "busy": {
        "zh": "服务器正忙，本次没有保存任何内容。请稍后再试。",
        "en": "The server is busy right now; nothing was saved. Try again in a moment.",
    },
    "font_missing": {
        "zh": "服务器没有可用于打印中文的字体；请安装 Debian 软件包 fonts-wqy-microhei"
        "（以 root 运行 make run 时会自动安装）。",
        "en": "The server has no Chinese font to print with; install the Debian package fonts-wqy-microhei "
        "(make run does this when run as root).",
    },
    "internal_error": {
        "zh": "服务器出错了，已记录下来（编号 {request_id}）；请稍后再试。",
        "en": "Something went wrong on the server. It was logged (request {request_id}); try again later.",
    },
    "id_conflict": {
        "zh": "这个编号下已经记录了另一条{record:record}；本次没有做任何修改。",
        "en": "A different {record:record} was already recorded under this id; nothing was changed.",
    },
    "bad_cursor": {
        "zh": "这个翻页游标不是服务器给出的；请不带它重新开始。",
        "en": "This cursor is not one the server gave out; start again without it.",
    },
    "time_in_future": {
        "zh": "{field:field}在将来；请检查手机的时钟。",
        "en": "{field} lies in the future; check the phone's clock.",
    },
    "bad_times": {"zh": "结束时间早于开始时间。", "en": "finished_at is before started_at."},
    "bad_period": {
        "zh": "“{period}”不是报表周期；请写成 2026-W48（周）、2026-11（月）、2026-Q4（季度）或 2026（年）。",
        "en": "'{period}' is not a report period; write 2026-W48 (week), 2026-11 (month), 2026-Q4 (quarter) or 2026.",
    },
    "bad_scope": {
        "zh": "“{scope}”不是报表范围；请写 all、district:区名、street:街道名 或 site:社区编号。",
        "en": "'{scope}' is not a report scope; write all, district:NAME, street:NAME or site:ID.",
    },
    "bad_week": {
        "zh": "“{week}”不是 ISO 周；请写成 2026-W48 的样子。",
        "en": "'{week}' is not an ISO week; write it like 2026-W48.",
    },
    # ---- signing in ------------------------------------------------------------------------------------------
    "not_authenticated": {
        "zh": "请先登录：此操作需要访问令牌。",
        "en": "Sign in first: this needs a bearer access token.",
    },
    "invalid_token": {
        "zh": "登录已过期或无效；请重新登录。",
        "en": "Your session has expired or is not valid; sign in again.",
    },
    "bad_credentials": {"zh": "用户名或密码错误。", "en": "Wrong username or password."},
    "login_throttled": {
        "zh": "该账号登录失败次数过多。请等 {minutes} 分钟后再试。",
        "en": "Too many failed sign-ins for this account. Wait {minutes} minutes and try again.",
    },
    "login_slow_down": {
        "zh": "登录失败次数较多，请等 {seconds} 秒后再试。",
        "en": "Several sign-ins failed; wait {seconds} seconds and try again.",
    },
    "password_too_weak": {
        "zh": "密码太常见，很容易被猜到；请换一个至少 {min_length} 个字符、不常见的密码。",
        "en": "This password is too common and easy to guess; "
        "choose an uncommon one of at least {min_length} characters.",
    },
    "password_is_username": {
        "zh": "密码不能与用户名相同或包含用户名；请换一个。",
        "en": "The password may not be or contain the username; choose another.",
    },
    "refresh_reused": {
        "zh": "这个续期令牌已经用过；为安全起见，该登录已结束。请重新登录。",
        "en": "This refresh token was used already; for safety that sign-in has ended. Sign in again.",
    },
    "last_admin": {
        "zh": "这是最后一个有效的管理员账号，不能降级或停用；请先再设一位管理员。",
        "en": "This is the last active administrator; it cannot be demoted or deactivated. Make another admin first.",
    },
    "control_character_in_query": {
        "zh": "地址或查询参数中有控制字符（{codepoint}）；请去掉后再试。",
        "en": "The address or query string holds a control character ({codepoint}); remove it and try again.",
    },
    "notice_one_site": {
        "zh": "一份整改通知书只能针对一个社区的隐患；请按社区分别开具。",
        "en": "A notice covers the hazards of one site; issue one notice per site.",
    },
    "pdf_throttled": {
        "zh": "您在短时间内生成了太多份通知书 PDF；请 {seconds} 秒后再试。",
        "en": "You have printed many notice PDFs in a short time; try again in {seconds} seconds.",
    },
    "write_conflict": {
        "zh": "这次写入与已保存的记录冲突；本次没有做任何修改。",
        "en": "This write conflicts with a record already stored; nothing was changed.",
    },
    "role_required": {
        "zh": "只有{roles:role}可以进行此操作；您当前的身份是{role:role}。",
        "en": "Only a user with the role {roles:role} can do this; you are signed in as {role:role}.",
    },
    "forbidden": {"zh": "您无权进行此操作。", "en": "You may not do this."},
    # ---- administration --------------------------------------------------------------------------------------
    "unknown_organization": {
        "zh": "{field:field}指定的单位不存在，或不是物业公司。",
        "en": "{field} does not name a property company.",
    },
    "organization_required": {
        "zh": "物业用户需要 organization_id 指向一家物业公司。",
        "en": "A property user needs organization_id naming a property company.",
    },
    "username_taken": {
        "zh": "用户名“{username}”已被占用；请换一个。",
        "en": "The username '{username}' is taken; choose another.",
    },
    "name_taken": {"zh": "名为“{name}”的单位已经存在。", "en": "An organization named '{name}' exists already."},
    "organization_in_use": {
        "zh": "该公司还有物业用户，不能改为部门。",
        "en": "This company still has property users; it cannot become a department.",
    },
    "unknown_officer": {"zh": "officer_id 指定的不是安全员。", "en": "officer_id does not name an officer."},
    "already_assigned": {
        "zh": "该安全员已分配到这个社区；请修改原有的分配。",
        "en": "This officer is already assigned to this site; update that assignment instead.",
    },
    "unknown_site": {"zh": "社区 {site_id} 不在您负责的范围内。", "en": "Site {site_id} is not one of your sites."},
    # ---- checklists and inspections --------------------------------------------------------------------------
    "unknown_category": {
        "zh": "没有“{category}”这个类别；可用的类别：{allowed:category}。",
        "en": "Unknown category '{category}'; use one of {allowed}.",
    },
    "unknown_topics": {
        "zh": "未知的培训主题：{topics}；主题须为以下类别：{allowed:category}。",
        "en": "Unknown topics: {topics}; topics are the categories {allowed}.",
    },
    "unknown_template": {
        "zh": "服务器没有“{category:category}”检查表第 {version} 版；请在手机上刷新检查表。",
        "en": "The server does not know checklist '{category}' version {version}; refresh the checklists on the phone.",
    },
    "unknown_items": {
        "zh": "这些检查项不在{category:category}检查表第 {version} 版中：{items}。",
        "en": "These items are not in the {category} checklist version {version}: {items}.",
    },
    "duplicate_answers": {
        "zh": "这些检查项回答了不止一次：{items}。",
        "en": "These items are answered more than once: {items}.",
    },
    "missing_answers": {
        "zh": "这些检查项适用于{site}，但还没有作答：{items}。",
        "en": "These items apply to {site} and have no answer: {items}.",
    },
    "photo_required": {
        "zh": "这些不通过的检查项需要一张问题照片：{items}。",
        "en": "These failed items need a photo of the problem: {items}.",
    },
    # ---- hazards and their lifecycle -------------------------------------------------------------------------
    "unknown_action": {
        "zh": "没有“{action}”这个操作；可用的操作：{allowed:action}。",
        "en": "Unknown action '{action}'; use one of {allowed}.",
    },
    "invalid_transition": {
        "zh": "处于“{status:status}”状态的隐患不能{action:action}。{possible:possible}",
        "en": "A hazard that is {status:status} cannot {action:action}.{possible:possible}",
    },
    "use_notices": {
        "zh": "“{action:action}”要通过整改通知书进行：下发用 POST /notices，签收用 "
        "POST /notices/{{notice_id}}/acknowledge（隐患的 notice_id 指明是哪份通知书）。本次没有做任何修改。",
        "en": "To {action:action}, use the rectification notice: POST /notices issues one, "
        "POST /notices/{{notice_id}}/acknowledge signs for it (the hazard's notice_id names it). "
        "Nothing was changed.",
    },
    "role_not_allowed": {
        "zh": "只有{roles:role}可以{action:action}；您的身份是{role:role}。",
        "en": "Only {roles:role} users can {action:action}; you are {role:role}.",
    },
    "no_organization": {
        "zh": "该隐患没有责任物业公司，无法下发通知；请现场整改，或先给社区指定物业公司。",
        "en": "This hazard has no responsible property company to notify; fix it on the spot or give "
        "its site a property company first.",
    },
    "note_required": {"zh": "{action:action}需要填写原因。", "en": "To {action:action}, give a reason in the note."},
    "photo_required_for_action": {
        "zh": "{action:action}需要至少一张{kind:photo_kind}照片。",
        "en": "To {action:action}, attach at least one {kind:photo_kind} photo.",
    },
    "stale_version": {
        "zh": "您查看之后该隐患已有变化（您看到的是第 {yours} 版，现在是第 {current} 版，{status:status}）。"
        "请重新查看后再决定。",
        "en": "This hazard changed since you last saw it (you had version {yours}, it is now {current}, "
        "{status:status}). Look at it again and decide.",
    },
    "version_mismatch": {
        "zh": "If-Match 与 base_version 给出的版本不同；请发送同一个版本。",
        "en": "If-Match and base_version name different versions; send the same one.",
    },
    "deadline_not_allowed": {"zh": "只有下发整改通知时才能设定期限。", "en": "Only a notice sets a deadline."},
    "deadline_in_past": {"zh": "整改期限必须在将来。", "en": "The deadline must lie in the future."},
    # ---- notices ---------------------------------------------------------------------------------------------
    "unknown_hazards": {
        "zh": "这些隐患不存在或不归您负责：{hazard_ids}。",
        "en": "These hazards do not exist or are not yours: {hazard_ids}.",
    },
    "wrong_organization": {
        "zh": "这些隐患不由{organization}负责：{hazard_ids}。",
        "en": "These hazards are not the responsibility of {organization}: {hazard_ids}.",
    },
    "hazards_not_open": {
        "zh": "只有待处理的隐患可以列入通知书；这些隐患不是待处理状态：{hazard_ids}。",
        "en": "Only open hazards can go on a notice; these are not open: {hazard_ids}.",
    },
    "not_addressee": {
        "zh": "只有通知书送达的物业公司可以签收。",
        "en": "Only the property company the notice is addressed to can acknowledge it.",
    },
    # ---- on the phone, before anything reaches the server -------------------------------------------------------
    "not_on_phone": {
        "zh": "这条{record:record}还不在手机上；请在有信号时同步一次。",
        "en": "This {record:record} is not on the phone yet; sync once with a signal.",
    },
    "photos_not_on_phone": {
        "zh": "这些照片不在这部手机上：{photo_ids}。",
        "en": "These photos are not on this phone: {photo_ids}.",
    },
    "photo_file_missing": {
        "zh": "手机上找不到这张照片的文件；请删除这一项后重新拍照。",
        "en": "The photo file is missing on this phone; discard this item and take the photo again.",
    },
    "unknown_photo_kind": {
        "zh": "照片类别“{kind}”不存在；可用的类别：{allowed:photo_kind}。",
        "en": "A photo's kind is one of {allowed} (got '{kind}').",
    },
    "trainer_required": {"zh": "请填写培训人。", "en": "Name the trainer."},
    "training_too_small": {
        "zh": "一次培训至少要有 1 名参加人员、时长至少 1 分钟。",
        "en": "A session has at least one attendee and lasts at least a minute.",
    },
    "unknown_severity": {"zh": "隐患等级只能是红、黄、蓝。", "en": "Severity is red, yellow or blue."},
    "description_required": {"zh": "请描述隐患。", "en": "Describe the hazard."},
    "notice_needs_hazards": {"zh": "通知书至少要列入一项隐患。", "en": "A notice names at least one hazard."},
    "item_not_applicable": {"zh": "该检查项不适用于{site}。", "en": "This item does not apply to {site}."},
    "bad_answer": {"zh": "回答只能是通过、不通过或不适用。", "en": "An answer is pass, fail or na."},
    "offline": {
        "zh": "连不上服务器。已保存在手机上，联网后会自动上传。",
        "en": "The server cannot be reached; your work is kept and will be sent later.",
    },
    # ---- joint inspections and revisits ---------------------------------------------------------------------
    "unknown_participant_unit": {
        "zh": "参加人员的单位“{units}”不存在；可选：{allowed:participant_unit}。",
        "en": "A participant's unit is one of {allowed} (got {units}).",
    },
    "participant_name_required": {
        "zh": "请填写参加人员的姓名。",
        "en": "Enter the participant's name.",
    },
    "too_many_participants": {
        "zh": "一次检查最多记录 {limit} 名参加人员。",
        "en": "An inspection names at most {limit} participants.",
    },
    "signer_name_required": {
        "zh": "请填写签字人的姓名。",
        "en": "Enter the name of the person who signs.",
    },
    "signature_empty": {
        "zh": "签字板上还没有签名；请让物业代表在框内签字。",
        "en": "Nothing is signed yet; ask the property representative to sign in the box.",
    },
    "signature_photo_kind": {
        "zh": "现场签字要用“现场签字”类照片（这张是{kind:photo_kind}照片）；请重新签字后提交。",
        "en": "The on-site signature must be a photo of kind 'signature' (this one is a {kind:photo_kind} "
        "photo); sign again and resubmit.",
    },
    "revisit_answered": {
        "zh": "这次回访已经答复过（{status:revisit_status}）；请刷新后再看。",
        "en": "This revisit has already been answered ({status:revisit_status}); refresh to see it.",
    },
    "revisit_not_due": {
        "zh": "这次回访要到 {due_on} 才到期，现在还不能答复。",
        "en": "This revisit is not due until {due_on}; it cannot be answered yet.",
    },
    "revisit_photo_required": {
        "zh": "回访发现问题复发、重新打开隐患时，需要拍一张现场照片。",
        "en": "To reopen the hazard at a revisit, attach a photo of what is broken again.",
    },
    "revisit_hazard_open": {
        "zh": "这条隐患已不是“已销号”状态（现在：{status:status}），无需回访。",
        "en": "This hazard is no longer closed (it is {status:status}); there is nothing to revisit.",
    },
    # ---- photos ----------------------------------------------------------------------------------------------
    "unknown_photos": {
        "zh": "这些照片不在服务器上（或您无权使用）：{photo_ids}。请先上传照片，再提交引用它的记录。",
        "en": "These photos are not on the server (or not yours to use): {photo_ids}. Upload each "
        "photo before the record that names it.",
    },
    "original_restricted": {
        "zh": "原始文件作为证据只提供给安全员和管理员；请使用 size=display（去除元数据的完整照片）。",
        "en": "The original file is kept as evidence for officers and administrators; ask for "
        "size=display, the full photo without its metadata.",
    },
    "invalid_form": {
        "zh": "表单有误：{problem:form_problem}。请以 multipart/form-data 发送照片（file、kind、taken_at、lat、lon）。",
        "en": "The form is not valid: {problem:form_problem}. Send the photo as multipart/form-data (file, kind, "
        "taken_at, lat, lon).",
    },
    "not_multipart": {
        "zh": "请以 multipart/form-data 发送照片，包含 file 和 kind 两部分。",
        "en": "Send the photo as multipart/form-data with a 'file' part and a 'kind' field.",
    },
    "upload_incomplete": {
        "zh": "照片还没传完上传就中断了；请重新发送。",
        "en": "The upload was cut off before the whole photo arrived; send it again.",
    },
    "too_large": {
        "zh": "文件太大（上限 {limit_mb} MB）；请发送相机原图或压缩后的照片。",
        "en": "The file is too large (the limit is {limit_mb} MB); send the photo as the camera took it or smaller.",
    },
    "empty_file": {
        "zh": "文件是空的；请重新拍摄或选择照片后再发送。",
        "en": "The file is empty; take or choose the photo again and resend it.",
    },
    "unsupported_format": {
        "zh": "这个文件是{what:file_kind}，不是服务器接受的照片。{what:file_advice}",
        "en": "This file is {what:file_kind}, not a photo the server accepts. {what:file_advice}",
    },
    "image_too_big_to_decode": {
        "zh": "这张图片（{pixels}）解码后需要 {decoded_mb} MB 内存（上限 {limit_mb} MB），服务器不能接收。"
        "请发送相机拍摄的照片或缩小后再发。",
        "en": "This image ({pixels}) would take {decoded_mb} MB to decode (the limit is {limit_mb} MB). "
        "Send the photo as the camera took it, or smaller.",
    },
    "decode_busy": {
        "zh": "服务器正在处理其他照片，本次没有保存；请 {seconds} 秒后重试。",
        "en": "The server is busy with other photos; nothing was saved. Try again in {seconds} seconds.",
    },
    "body_too_large": {
        "zh": "请求体太大（上限 {limit_mb} MB），没有读取也没有保存；请分批发送。",
        "en": "The request body is too large (the limit is {limit_mb} MB); it was not read and nothing was saved.",
    },
    "too_many_pixels": {
        "zh": "这张图片有 {pixels} 像素（上限 {limit}），不是服务器能接收的相机照片。请发送相机拍摄的原图。",
        "en": "This image has {pixels} pixels (the limit is {limit}); it is not a camera photo the "
        "server can take. Send the photo as the camera took it.",
    },
    "damaged_image": {
        "zh": "这个 {format} 文件已损坏或不完整（可能是传输中断）；请重新拍摄或选择照片后再发送。",
        "en": "This {format} file is damaged or incomplete (perhaps cut off during the transfer); take "
        "or choose the photo again and resend it.",
    },
    # ---- notifications ---------------------------------------------------------------------------------------
    "bad_subscription_target": {
        "zh": "{channel}订阅的目标无效：邮件需要邮箱地址，群机器人和 Webhook 需要 http(s) 地址。",
        "en": "The target does not fit the {channel} channel: mail needs an address, robots and webhooks an "
        "http(s) URL.",
    },
    "subscription_own_only": {
        "zh": "您只能为本单位（物业）或自己订阅通知；其他单位和协调员的订阅请联系区协调员设置。",
        "en": "You can subscribe only your own company (property) or yourself; ask the district coordinator for "
        "others.",
    },
    "unknown_user": {"zh": "{field:field}指定的用户不存在。", "en": "{field} does not name a user."},
    "bad_signature": {
        "zh": "请求签名无效：请用对接时分配的密钥，对“{{时间戳}}.{{原始请求体}}”计算 HMAC-SHA256，放在 "
        "X-SafeRound-Signature 中，并在 X-SafeRound-Integration 中写明对接名称。",
        "en": 'The request signature is not valid: sign "{{timestamp}}.{{raw body}}" with HMAC-SHA256 and the '
        "integration's secret, send it as X-SafeRound-Signature and name the integration in X-SafeRound-Integration.",
    },
    "stale_signature": {
        "zh": "请求时间戳超出 {max_age} 秒的有效期（可能是重放或时钟不准）；请用当前时间重新签名后发送。",
        "en": "The request timestamp is more than {max_age} s from the server's clock (a replay, or a wrong clock); "
        "sign it again with the current time.",
    },
    "unknown_external_site": {
        "zh": "site_id {site_id} 不是本系统中的社区；请核对社区编号对照表。",
        "en": "site_id {site_id} is not a site here; check the site mapping.",
    },
    "integration_name_taken": {
        "zh": "名为“{name}”的对接已经存在；请换一个名称。",
        "en": "An integration named '{name}' exists already; choose another name.",
    },
    # ---- the intake queue: grid workers' and residents' reports ---------------------------------------------
    "intake_not_pending": {
        "zh": "这条上报已经处理（{status:intake_status}），不能再受理、合并或不予受理。",
        "en": "This report has been handled already ({status:intake_status}); it cannot be accepted, merged or "
        "declined again.",
    },
    "merge_target_invalid": {
        "zh": "只能合并到同一社区、尚未销号或撤销的隐患；请选择该社区的一条在办隐患。",
        "en": "A report can be merged only into an unfinished hazard of the same site; choose an open hazard there.",
    },
    "too_many_report_photos": {
        "zh": "一条上报最多 {max} 张照片；请删掉多余的照片。",
        "en": "A report takes at most {max} photos; remove the extra ones.",
    },
    "report_photo_kind": {
        "zh": "上报的照片应为“问题”类照片；请以问题照片重新上传。",
        "en": "A report's photos must be of kind 'problem'; upload them again as problem photos.",
    },
    "revisit_reporter_only": {
        "zh": "只有上报人可以答复整改是否到位。",
        "en": "Only the person who filed the report can answer whether it was fixed.",
    },
    "revisit_not_open": {
        "zh": "现在不能答复：隐患销号后 {days} 天内、且尚未答复时，上报人才可答复整改是否到位。",
        "en": "No answer can be given now: the reporter answers once, within {days} days of the hazard's closing.",
    },
    "gridworker_reports_only": {
        "zh": "网格员账号只能上报问题、查看自己的上报；其他内容请联系社区安全员。",
        "en": "A grid worker's account files reports and follows its own reports only; ask the site's safety "
        "officer for anything else.",
    },
    "too_many_public_reports": {
        "zh": "您提交得太频繁了，请一小时后再试；紧急情况请直接拨打物业或社区电话。",
        "en": "Too many reports from this address; try again in an hour, or call the property company or the "
        "community in an emergency.",
    },
    "too_many_site_reports": {
        "zh": "这个社区这一小时收到的上报太多，请稍后再试；紧急情况请直接拨打物业或社区电话。",
        "en": "This site has received too many reports this hour; try again later, or call in an emergency.",
    },
    "public_form_rejected": {
        "zh": "提交未被接受，请刷新页面后重新填写。",
        "en": "The form was not accepted; reload the page and fill it in again.",
    },
    "bad_phone": {
        "zh": "手机号格式不对：请填写 11 位手机号或带区号的固定电话，也可以不填。",
        "en": "The phone number is not valid: give an 11-digit mobile or a landline with its area code, or leave "
        "it empty.",
    },
    "decline_reason_required": {
        "zh": "请写明不予受理的原因，上报人会看到它。",
        "en": "Give the reason for declining; the reporter will see it.",
    },
    "report_description_required": {
        "zh": "请写一句问题描述（最多 {max} 字）。",
        "en": "Describe the problem in a sentence (at most {max} characters).",
    },
    "delivery_already_sent": {
        "zh": "这条消息已经送达，无需重发。",
        "en": "This message was delivered already; there is nothing to retry.",
    },
    # ---- bulk import (the console's XLSX template) ---------------------------------------------------------
    "import_missing_value": {"zh": "此项必填。", "en": "This cell must not be empty."},
    "import_bad_value": {
        "zh": "“{value}”不是有效的值；应为：{expected}。",
        "en": "'{value}' is not a valid value here; expected: {expected}.",
    },
    "import_unknown_reference": {
        "zh": "找不到“{value}”：它既不在系统中，也不在本文件前面的行里。",
        "en": "'{value}' is neither in the system nor in an earlier row of this file.",
    },
    "import_duplicate": {
        "zh": "“{value}”重复：系统中或本文件中已有同名记录。",
        "en": "'{value}' is a duplicate: the system or this file has it already.",
    },
    "import_not_xlsx": {
        "zh": "无法读取该文件：请上传从本系统下载的 XLSX 模板填写后的文件。",
        "en": "This file cannot be read: upload the XLSX template downloaded from this console, filled in.",
    },
    "import_has_problems": {
        "zh": "文件中有 {count} 处问题，未写入任何数据；请修改后重新上传。",
        "en": "The file has {count} problems; nothing was written. Fix them and upload it again.",
    },
    # Operations: readiness (/readyz) and the metrics endpoint.
    "ready_database_down": {
        "zh": "数据库无法访问（{reason}）；请检查数据库服务与 SAFEROUND_DATABASE_URL。",
        "en": "The database cannot be reached ({reason}); check the database server and SAFEROUND_DATABASE_URL.",
    },
    "ready_migrations_behind": {
        "zh": "数据库结构版本为 {version}，本程序需要 {head}；请先运行 saferound init-db。",
        "en": "The database schema is at version {version} but this release needs {head}; run saferound init-db.",
    },
    "ready_photo_store_down": {
        "zh": "照片存储无法写入或访问（{reason}）；请检查数据目录权限或对象存储设置。",
        "en": "The photo store cannot be written or reached ({reason}); check the data dir's permissions or the "
        "object-store settings.",
    },
    "ready_check_timeout": {
        "zh": "检查“{check}”在 {seconds} 秒内没有完成。",
        "en": "The {check} check did not finish within {seconds} s.",
    },
    "ready": {
        "zh": "一切就绪：数据库、照片存储和数据库结构均正常。",
        "en": "Ready: the database, the photo store and the schema are all fine.",
    },
    "metrics_token_required": {
        "zh": "查看运行指标需要正确的令牌（Authorization: Bearer，对应 SAFEROUND_METRICS_TOKEN）。",
        "en": "Metrics need the right token (Authorization: Bearer, the value of SAFEROUND_METRICS_TOKEN).",
    },
    "metrics_loopback_only": {
        "zh": "未设置 SAFEROUND_METRICS_TOKEN 时，运行指标只对本机（127.0.0.1）开放。",
        "en": "Without SAFEROUND_METRICS_TOKEN, metrics are served to this machine (127.0.0.1) only.",
    },
}

# Names for `{x:record}`: the kinds of record a message can be about.
RECORD_NAMES: dict[str, dict[str, str]] = {
    "hazard": {"zh": "隐患", "en": "Hazard"},
    "notice": {"zh": "整改通知书", "en": "Notice"},
    "inspection": {"zh": "检查记录", "en": "Inspection"},
    "photo": {"zh": "照片", "en": "Photo"},
    "site": {"zh": "社区", "en": "Site"},
    "user": {"zh": "用户", "en": "User"},
    "organization": {"zh": "单位", "en": "Organization"},
    "assignment": {"zh": "分配", "en": "Assignment"},
    "checklist": {"zh": "检查表", "en": "Checklist"},
    "training": {"zh": "培训记录", "en": "Training session"},
    "transition": {"zh": "处理步骤", "en": "transition"},
    "scope": {"zh": "报表范围", "en": "Scope"},
    "report": {"zh": "报表", "en": "Report"},
    "subscription": {"zh": "通知订阅", "en": "Subscription"},
    "delivery": {"zh": "通知消息", "en": "Delivery"},
    "intake": {"zh": "上报", "en": "Report"},
    "revisit": {"zh": "回访", "en": "Revisit"},
}

# Names for `{x:field}`: the fields a Chinese sentence names (English keeps the API's field names).
FIELD_NAMES: dict[str, dict[str, str]] = {
    "found_at": {"zh": "发现时间", "en": "found_at"},
    "finished_at": {"zh": "检查结束时间", "en": "finished_at"},
    "held_at": {"zh": "培训时间", "en": "held_at"},
    "organization_id": {"zh": "organization_id（单位）", "en": "organization_id"},
    "property_org_id": {"zh": "property_org_id（物业公司）", "en": "property_org_id"},
}
# Names for `{x:file_kind}`: what an upload that is not an accepted photo turned out to be.
FILE_KINDS: dict[str, dict[str, str]] = {
    "gif": {"zh": "GIF 动图", "en": "a GIF image"},
    "tiff": {"zh": "TIFF 图像", "en": "a TIFF image"},
    "heic": {"zh": "HEIC/HEIF 照片", "en": "a HEIC/HEIF photo"},
    "video": {"zh": "视频文件", "en": "a video or MP4-family file"},
    "pdf": {"zh": "PDF 文档", "en": "a PDF document"},
    "zip": {"zh": "ZIP 压缩包", "en": "a ZIP archive"},
    "bmp": {"zh": "BMP 图像", "en": "a BMP image"},
    "svg": {"zh": "SVG 或 XML 文档", "en": "an SVG or XML document"},
    "html": {"zh": "HTML 网页", "en": "an HTML document"},
    "unknown": {"zh": "无法识别的文件", "en": "of an unknown type"},
}
# What to do instead, for `{x:file_advice}` ("*": any other file).
FILE_ADVICE: dict[str, dict[str, str]] = {
    "heic": {
        "zh": "请把相机设置为保存 JPEG（“兼容性最佳”），或让应用转换照片。",
        "en": 'Set the camera to save JPEG ("Most Compatible") or let the app convert the photo.',
    },
    "*": {"zh": "请以 JPEG、PNG 或 WebP 格式发送。", "en": "Send the photo as a JPEG, PNG or WebP image."},
}
# Names for `{x:form_problem}`: what is wrong with an upload's multipart form.
FORM_PROBLEMS: dict[str, dict[str, str]] = {
    "too_many_parts": {"zh": "部分太多", "en": "it has too many parts"},
    "field_too_long": {"zh": "有字段过长", "en": "a field is too long"},
    "malformed": {"zh": "格式损坏", "en": "it is malformed"},
}

# Sentences for one problem in a request's fields (pydantic's error types), used by `invalid_request`.
FIELD_PROBLEMS: dict[str, dict[str, str]] = {
    "missing": {"zh": "“{field}”为必填项", "en": "'{field}' is required"},
    "extra_forbidden": {"zh": "“{field}”不是可以在这里设置的字段", "en": "'{field}' is not a field you can set here"},
    "json_invalid": {"zh": "请求体不是有效的 JSON", "en": "the body is not valid JSON"},
    "string_too_long": {
        "zh": "“{field}”最多 {max_length} 个字符",
        "en": "'{field}' is longer than {max_length} characters",
    },
    "string_too_short": {
        "zh": "“{field}”至少 {min_length} 个字符",
        "en": "'{field}' needs at least {min_length} characters",
    },
    "too_long": {"zh": "“{field}”最多 {max_length} 项", "en": "'{field}' has more than {max_length} entries"},
    "too_short": {"zh": "“{field}”至少 {min_length} 项", "en": "'{field}' needs at least {min_length} entries"},
    "greater_than_equal": {"zh": "“{field}”不能小于 {ge}", "en": "'{field}' must be at least {ge}"},
    "greater_than": {"zh": "“{field}”必须大于 {gt}", "en": "'{field}' must be more than {gt}"},
    "less_than_equal": {"zh": "“{field}”不能大于 {le}", "en": "'{field}' must be at most {le}"},
    "less_than": {"zh": "“{field}”必须小于 {lt}", "en": "'{field}' must be less than {lt}"},
    "enum": {"zh": "“{field}”只能是：{expected}", "en": "'{field}' must be one of: {expected}"},
    "literal_error": {"zh": "“{field}”只能是：{expected}", "en": "'{field}' must be one of: {expected}"},
    "uuid_parsing": {"zh": "“{field}”不是有效的 UUID", "en": "'{field}' is not a valid UUID"},
    "uuid_type": {"zh": "“{field}”不是有效的 UUID", "en": "'{field}' is not a valid UUID"},
    "timezone_aware": {
        "zh": "“{field}”需要带时区的时间（如 2026-11-26T09:00:00+08:00）",
        "en": "'{field}' needs a time with its offset (like 2026-11-26T09:00:00+08:00)",
    },
    "datetime_parsing": {"zh": "“{field}”不是 ISO 8601 时间", "en": "'{field}' is not an ISO 8601 time"},
    "datetime_from_date_parsing": {"zh": "“{field}”不是 ISO 8601 时间", "en": "'{field}' is not an ISO 8601 time"},
    "datetime_type": {"zh": "“{field}”不是 ISO 8601 时间", "en": "'{field}' is not an ISO 8601 time"},
    "date_parsing": {"zh": "“{field}”不是日期（YYYY-MM-DD）", "en": "'{field}' is not a date (YYYY-MM-DD)"},
    "date_from_datetime_parsing": {
        "zh": "“{field}”不是日期（YYYY-MM-DD）",
        "en": "'{field}' is not a date (YYYY-MM-DD)",
    },
    "int_parsing": {"zh": "“{field}”必须是整数", "en": "'{field}' must be a whole number"},
    "int_type": {"zh": "“{field}”必须是整数", "en": "'{field}' must be a whole number"},
    "int_from_float": {"zh": "“{field}”必须是整数", "en": "'{field}' must be a whole number"},
    "float_parsing": {"zh": "“{field}”必须是数字", "en": "'{field}' must be a number"},
    "float_type": {"zh": "“{field}”必须是数字", "en": "'{field}' must be a number"},
    "finite_number": {"zh": "“{field}”必须是有限的数字", "en": "'{field}' must be a finite number"},
    "bool_parsing": {"zh": "“{field}”必须是 true 或 false", "en": "'{field}' must be true or false"},
    "bool_type": {"zh": "“{field}”必须是 true 或 false", "en": "'{field}' must be true or false"},
    "string_type": {"zh": "“{field}”必须是文字", "en": "'{field}' must be text"},
    "list_type": {"zh": "“{field}”必须是列表", "en": "'{field}' must be a list"},
    "dict_type": {"zh": "“{field}”必须是对象", "en": "'{field}' must be an object"},
    "model_type": {"zh": "“{field}”必须是对象", "en": "'{field}' must be an object"},
    "model_attributes_type": {"zh": "“{field}”必须是对象", "en": "'{field}' must be an object"},
    "string_pattern_mismatch": {"zh": "“{field}”格式不对", "en": "'{field}' is not in the expected form"},
    "value_error": {"zh": "“{field}”的值无效", "en": "'{field}' is not valid"},
    "control_character": {
        "zh": "“{field}”含有控制字符（{codepoint}）；请只用可见文字",
        "en": "'{field}' holds a control character ({codepoint}); use visible text only",
    },
    "number_out_of_range": {"zh": "“{field}”的数值超出范围", "en": "'{field}' is out of range"},
    "null_not_allowed": {
        "zh": "“{field}”不能设为 null；不修改就不要发送这个字段",
        "en": "'{field}' cannot be null; leave it out to keep it unchanged",
    },
    "year_out_of_range": {
        "zh": "“{field}”的年份必须在 {min} 到 {max} 之间",
        "en": "'{field}' must lie between the years {min} and {max}",
    },
    "lat_lon_together": {"zh": "lat 和 lon 要一起给出，或都不给", "en": "give lat and lon together, or neither"},
}
_ANY_FIELD_PROBLEM = {"zh": "“{field}”的值无效", "en": "'{field}' is not valid"}


def language(accept_language: str | None) -> str:
    """'zh' or 'en': the first of them the header asks for, by its q-values; Chinese when it asks for neither."""
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _semicolon, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _eq, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        q -= position * 1e-6  # equal weights: the earlier one wins
        if q > best_q and q > 0:
            best, best_q = primary, q
    return best


def render(code: str, params: Mapping[str, Any] | None, lang: str) -> str:
    """The sentence for `code` in `lang`, filled from `params`; None-safe for unknown codes."""
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    params = dict(params or {})
    if code == "invalid_request":
        params["problems"] = _problems(params.get("errors") or [], lang)
    templates = MESSAGES.get(code) or MESSAGES["bad_request"]
    try:
        return _Formatter(lang).vformat(templates[lang], (), _Defaulting(params))
    except (ValueError, IndexError, KeyError):
        return MESSAGES["bad_request"][lang]


def _problems(errors: list[Mapping[str, Any]], lang: str) -> str:
    parts = []
    for error in errors:
        values = {"field": error.get("field") or ("请求" if lang == "zh" else "request"), **(error.get("ctx") or {})}
        template = FIELD_PROBLEMS.get(str(error.get("type")), _ANY_FIELD_PROBLEM)[lang]
        parts.append(_Formatter(lang).vformat(template, (), _Defaulting(values)))
    return ("；" if lang == "zh" else "; ").join(dict.fromkeys(parts))


class _Defaulting(dict):
    def __missing__(self, key: str) -> str:
        return "…"


class _Formatter(string.Formatter):
    def __init__(self, lang: str):
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "possible":
            if not value:
                return ""
            names = self._join([self._name("action", v) for v in value])
            return f"当前可以：{names}。" if self.lang == "zh" else f" From here you can: {names}."
        if format_spec:
            if isinstance(value, (list, tuple)):
                return self._join([self._name(format_spec, v) for v in value], either=format_spec == "role")
            return self._name(format_spec, value)
        if isinstance(value, (list, tuple)):
            return self._join([str(v) for v in value])
        return str(value)

    def _join(self, parts: list[str], either: bool = False) -> str:
        if self.lang == "zh":
            return ("或" if either else "、").join(parts)
        return (" or " if either else ", ").join(parts)

    def _name(self, table: str, key: Any) -> str:
        from rulebook.categories import CATEGORY_NAMES, PHOTO_KIND_NAMES, ROLE_NAMES, SEVERITY_NAMES
        from rulebook.intake import INTAKE_STATUS_NAMES
        from rulebook.joint import PARTICIPANT_UNIT_NAMES, REVISIT_STATUS_NAMES
        from rulebook.lifecycle import ACTION_NAMES, STATUS_NAMES

        tables = {
            "category": CATEGORY_NAMES,
            "severity": SEVERITY_NAMES,
            "role": ROLE_NAMES,
            "photo_kind": PHOTO_KIND_NAMES,
            "status": STATUS_NAMES,
            "action": ACTION_NAMES,
            "record": RECORD_NAMES,
            "file_kind": FILE_KINDS,
            "form_problem": FORM_PROBLEMS,
            "file_advice": FILE_ADVICE,
            "field": FIELD_NAMES,
            "intake_status": INTAKE_STATUS_NAMES,
            "participant_unit": PARTICIPANT_UNIT_NAMES,
            "revisit_status": REVISIT_STATUS_NAMES,
        }
        entry = tables.get(table, {}).get(str(key)) or tables.get(table, {}).get("*")
        return entry[self.lang] if entry else str(key)
