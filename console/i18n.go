package console

import (
	"net/http"
	"strings"
)

// texts are the console's words in Simplified Chinese and English. Every key has both.
var texts = map[string][2]string{ // [zh, en]
	"title":              {"faceverify 审核台", "faceverify console"},
	"signin":             {"登录", "Sign in"},
	"signout":            {"退出", "Sign out"},
	"name":               {"用户名", "Name"},
	"password":           {"密码", "Password"},
	"wrong_password":     {"用户名或密码错误", "Wrong name or password"},
	"rate_limited":       {"尝试次数过多，请稍后再试", "Too many attempts, try again later"},
	"signed_out":         {"请先登录", "Please sign in"},
	"sessions":           {"认证记录", "Sessions"},
	"tenants":            {"租户", "Tenants"},
	"audit":              {"审计日志", "Audit log"},
	"tenant":             {"租户", "Tenant"},
	"dialect":            {"接口", "API"},
	"state":              {"状态", "State"},
	"result":             {"结果", "Result"},
	"code":               {"结果码", "Result code"},
	"from":               {"开始日期", "From"},
	"to":                 {"结束日期", "To"},
	"external_ref":       {"业务单号 (biz_no / OuterOrderNo)", "Order no. (biz_no / OuterOrderNo)"},
	"page_size":          {"每页", "Per page"},
	"filter":             {"筛选", "Filter"},
	"clear":              {"清除", "Clear"},
	"any":                {"全部", "any"},
	"created":            {"创建时间", "Created"},
	"token":              {"令牌", "Token"},
	"next_page":          {"下一页", "Next page"},
	"first_page":         {"第一页", "First page"},
	"no_sessions":        {"没有符合条件的记录", "No sessions match"},
	"detail":             {"详情", "Detail"},
	"identity":           {"身份信息", "Identity"},
	"claimed_name":       {"姓名", "Name"},
	"claimed_number":     {"身份证号", "ID number"},
	"masked_hint":        {"个人信息默认脱敏，显示原文将被记录", "Personal data is masked; revealing it is recorded"},
	"reveal":             {"显示原文", "Reveal"},
	"revealed":           {"已显示原文（已记录）", "Revealed (recorded)"},
	"idcard":             {"身份证识别", "ID card (OCR)"},
	"reason":             {"判定依据", "Why"},
	"challenge":          {"朗读数字", "Digits asked"},
	"heard":              {"识别数字", "Digits heard"},
	"decided_by":         {"判定规则", "Decided by rule"},
	"check":              {"检查项", "Check"},
	"score":              {"得分", "Score"},
	"threshold":          {"阈值", "Threshold"},
	"passed":             {"通过", "passed"},
	"failed":             {"未通过", "failed"},
	"comparisons":        {"比对", "Comparisons"},
	"confidence":         {"置信度", "Confidence"},
	"similarity":         {"相似度", "Similarity"},
	"vendor_thr":         {"各误识率阈值", "Thresholds by FAR"},
	"scores":             {"各项分数", "Scores"},
	"last_attempt":       {"上一次尝试", "Last attempt"},
	"images":             {"图片", "Images"},
	"timeline":           {"时间线", "Timeline"},
	"no_history":         {"该记录早于状态历史功能：时间线由任务与结果推得", "This session predates the stored history: the timeline is assembled from its jobs and verdict"},
	"ev_created":         {"业务方创建", "created by the business"},
	"ev_page_opened":     {"用户打开页面", "the user opened the page"},
	"ev_idcard_accepted": {"身份证识别通过", "ID card read"},
	"ev_idcard_refused":  {"身份证照片不合格（无重拍次数）", "ID card refused (no retake left)"},
	"ev_video_uploaded":  {"上传视频，等待判定", "video uploaded, verdict queued"},
	"ev_attempt_failed":  {"本次视频未通过", "the video failed a check"},
	"ev_verdict":         {"判定完成", "verdict"},
	"ev_job_gave_up":     {"判定任务多次失败", "the verdict job gave up"},
	"ev_too_many_videos": {"上传视频次数超过限制", "a video beyond the allowance"},
	"ev_tenant_disabled": {"租户已停用", "the tenant was disabled"},
	"ev_user_cancel":     {"用户取消", "the user cancelled"},
	"ev_expired":         {"页面过期", "the page expired"},
	"actor_api":          {"业务接口", "API"},
	"actor_page":         {"用户页面", "page"},
	"actor_job:decide":   {"判定任务", "verdict job"},
	"actor_sweep":        {"过期清理", "expiry sweep"},
	"actor_operator":     {"操作员", "operator"},
	"tl_created":         {"创建", "created"},
	"tl_video":           {"视频", "video"},
	"tl_verdict_job":     {"判定任务", "verdict job"},
	"tl_callback":        {"回调", "callback"},
	"tl_decided":         {"判定", "decided"},
	"tl_cancelled":       {"取消", "cancelled"},
	"tl_expired":         {"过期", "expired"},
	"tl_failed":          {"失败", "failed"},
	"tl_done":            {"完成", "done"},
	"callbacks":          {"回调", "Callbacks"},
	"job":                {"任务", "Job"},
	"attempts":           {"尝试", "Attempts"},
	"next_run":           {"下次执行", "Next run"},
	"last_error":         {"最近错误", "Last error"},
	"retry":              {"重试回调", "Retry callback"},
	"no_callbacks":       {"没有回调", "No callbacks"},
	"erase":              {"删除该记录", "Erase this session"},
	"erase_confirm":      {"我确认永久删除图片、模板和个人信息", "I confirm erasing images, templates and personal data for good"},
	"erased":             {"记录已删除", "Session erased"},
	"retried":            {"回调已重新排队", "Callback queued again"},
	"when":               {"时间", "When"},
	"operator":           {"操作员", "Operator"},
	"action":             {"操作", "Action"},
	"target":             {"对象", "Target"},
	"quota":              {"额度", "Quota"},
	"used":               {"已用", "Used"},
	"concurrency":        {"并发", "Concurrency"},
	"unlimited":          {"不限", "unlimited"},
	"server_default":     {"默认", "server default"},
	"keys":               {"密钥", "API keys"},
	"key_active":         {"正常", "active"},
	"key_disabled":       {"已停用", "discontinued"},
	"account":            {"账户", "Account"},
	"account_active":     {"正常", "active"},
	"account_disabled":   {"已停用", "disabled"},
	"disable_key":        {"停用密钥", "Disable keys"},
	"enable_key":         {"启用密钥", "Enable keys"},
	"rotate_keys":        {"轮换密钥", "Rotate keys"},
	"rotated":            {"新密钥仅显示这一次，请立即保存", "The new keys are shown only this once: store them now"},
	"lip_sync":           {"唇音同步检查", "Lip-voice sync check"},
	"on":                 {"开启", "on"},
	"off":                {"关闭", "off"},
	"turn_on":            {"开启", "Turn on"},
	"turn_off":           {"关闭", "Turn off"},
	"usage":              {"每日用量", "Usage per day"},
	"day":                {"日期", "Day"},
	"verifications":      {"认证数", "Verifications"},
	"pass_rate":          {"通过率", "Pass rate"},
	"by_code":            {"按结果码", "By result code"},
	"no_usage":           {"近期没有认证", "No verifications lately"},
	"error":              {"出错了", "Something went wrong"},
	"e_400":              {"请求参数无效", "The request is not valid"},
	"e_401":              {"请先登录", "Please sign in"},
	"e_403":              {"请求被拒绝（缺少或错误的 CSRF 令牌），请刷新页面后重试", "Refused (missing or wrong CSRF token): reload the page and try again"},
	"e_404":              {"未找到", "Not found"},
	"e_409":              {"当前状态不允许该操作", "Not possible in the current state"},
	"e_429":              {"请求过多，请稍后再试", "Too many requests, try again later"},
	"e_503":              {"暂时无法访问数据存储，请稍后再试", "The data store cannot be reached right now; try again later"},
	"back":               {"返回", "Back"},
	"lang_other":         {"English", "中文"},
	"none":               {"—", "—"},
}

// lang picks "zh" or "en": the lang cookie, else Accept-Language (Chinese first).
func lang(r *http.Request) string {
	if c, err := r.Cookie("fv_console_lang"); err == nil && (c.Value == "en" || c.Value == "zh") {
		return c.Value
	}
	al := strings.ToLower(r.Header.Get("Accept-Language"))
	if al == "" || strings.HasPrefix(al, "zh") {
		return "zh"
	}
	if i, j := strings.Index(al, "zh"), strings.Index(al, "en"); j >= 0 && (i < 0 || j < i) {
		return "en"
	}
	return "zh"
}

func t(l, key string) string {
	v, ok := texts[key]
	if !ok {
		return key
	}
	if l == "en" {
		return v[1]
	}
	return v[0]
}

// resultTexts explain a result message (the reason of a verdict) in both languages.
var resultTexts = map[string][2]string{
	"SUCCESS":                      {"活体通过且人脸比对一致", "Live and the same person"},
	"PASS_LIVING_NOT_THE_SAME":     {"活体通过，但与参考照片不是同一人（比对置信度低于阈值）", "Live, but not the reference person (confidence below the threshold)"},
	"NO_ID_CARD_NUMBER":            {"身份库中没有该身份证号", "The ID number is not in the registry"},
	"ID_NUMBER_NAME_NOT_MATCH":     {"身份证号与姓名不匹配", "The ID number and name do not match"},
	"FAIL_LIVING_FACE_ATTACK":      {"判定为攻击（翻拍、照片、屏幕等）：见防伪与动作分数", "Judged an attack (photo, screen, replay): see anti-spoof and motion scores"},
	"CHANGE_FACE_ATTACK":           {"视频中人脸发生变化：见身份一致性分数", "The face changed during the video: see identity consistency"},
	"NO_FACE_FOUND":                {"视频中未检测到人脸", "No face found in the video"},
	"FACE_QUALITY_TOO_LOW":         {"人脸质量过低：见质量分数", "Face quality too low: see quality scores"},
	"INVALID_VIDEO_DURATION":       {"视频时长不符合要求", "Video duration out of range"},
	"VIDEO_TOO_LARGE":              {"视频过大", "Video too large"},
	"SR_ERROR":                     {"朗读的数字与要求不符：见每位数字置信度", "The digits heard differ from those asked: see per-digit confidence"},
	"NOT_SYNCHRONIZED":             {"声音与画面不同步", "Audio and video not synchronised"},
	"NO_AUDIO":                     {"视频没有声音", "The video has no audio"},
	"VIDEO_FORMAT_UNSUPPORTED":     {"视频格式不支持", "Video format not supported"},
	"LIP_VOICE_NOT_SYNC":           {"唇动与声音不一致：见唇音同步分数", "Lips and voice do not match: see the lip-sync scores"},
	"VIDEO_OK":                     {"视频检查通过（比对前的中间结果）", "The video passed (before the comparison)"},
	"NON_ENTERPRISE_CERTIFICATION": {"租户未完成企业认证", "The tenant is not certified"},
	"VIDEO_MANY_TIMES":             {"上传视频次数超过限制", "Too many videos uploaded"},
	"VIDEO_INTERNAL_ERROR":         {"内部错误，判定任务多次失败", "Internal error: the verdict job failed repeatedly"},
	"ACCOUNT_DISABLED":             {"租户账户已停用", "The tenant account is disabled"},
	"BALANCE_NOT_ENOUGH":           {"额度不足", "Quota used up"},
	"USER_CANCEL":                  {"用户取消", "The user cancelled"},
	"LIVING_NOT_START":             {"尚未开始活体检测", "Liveness not started yet"},
	"IDCARD_PHOTO_FRONTSIDE":       {"身份证人像面照片不合格", "ID card front photo not usable"},
	"IDCARD_BACKSIDE_BLURRED":      {"身份证国徽面模糊", "ID card back side blurred"},
	"NO_FACE_FOUND_IDCARD":         {"身份证上未找到人像", "No portrait found on the ID card"},
	"IDCARD_PHOTO_NOTFRONTSIDE":    {"不是身份证人像面", "Not the front side of an ID card"},
	"IDCARD_PHOTO_NOTBACKSIDE":     {"不是身份证国徽面", "Not the back side of an ID card"},
	"FAIL_OCR_FAKE_IDCARD":         {"身份证判定为伪造（翻拍、复印、编辑）", "The ID card was judged fake (copy, screen, edited)"},
}

func resultText(l, msg string) string {
	v, ok := resultTexts[msg]
	if !ok {
		return ""
	}
	if l == "en" {
		return v[1]
	}
	return v[0]
}

// scoreGroups name the check each score key belongs to, and which result messages that
// check decides (the failing check of a verdict is highlighted).
var scoreGroups = []struct {
	Prefix  []string
	Name    [2]string
	Decides []string
}{
	{[]string{"sync_", "mouth_"}, [2]string{"唇音同步", "lip-voice sync"}, []string{"LIP_VOICE_NOT_SYNC", "NOT_SYNCHRONIZED"}},
	{[]string{"antispoof", "face_motion"}, [2]string{"防伪", "anti-spoof"}, []string{"FAIL_LIVING_FACE_ATTACK"}},
	{[]string{"identity"}, [2]string{"身份一致性", "identity"}, []string{"CHANGE_FACE_ATTACK"}},
	{[]string{"quality", "sharpness", "brightness", "face_size", "face_frames", "multi_face"}, [2]string{"质量", "quality"}, []string{"FACE_QUALITY_TOO_LOW", "NO_FACE_FOUND"}},
	{[]string{"digit", "speech", "digits"}, [2]string{"朗读数字", "digits"}, []string{"SR_ERROR", "NO_AUDIO"}},
	{[]string{"duration", "frames"}, [2]string{"视频", "video"}, []string{"INVALID_VIDEO_DURATION"}},
}
