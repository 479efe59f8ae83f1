package lite

import "github.com/faceverify/faceverify"

// Page texts: the Chinese ones are exactly the table "页面中典型错误提示和说明" of
// faceid-lite-h5.txt; results the table does not list get texts in the same style.
var textsZH = map[string]string{
	"TOKEN_INVALID":                "无效请求，或当前请求已过期",
	"IDCARD_PHOTO_FRONTSIDE":       "识别错误，请正对身份证重新拍摄",
	"IDCARD_BACKSIDE_BLURRED":      "识别错误，请正对身份证重新拍摄",
	"NO_FACE_FOUND_IDCARD":         "身份证人像面找不到人脸，请正对身份证重新拍摄",
	"IDCARD_PHOTO_NOTFRONTSIDE":    "非身份证人像面，请正对身份证重新拍摄",
	"IDCARD_PHOTO_NOTBACKSIDE":     "非身份证国徽面，请正对身份证重新拍摄",
	"FAIL_OCR_FAKE_IDCARD":         "证件未通过真实性检查，请使用身份证原件重新拍摄",
	"NO_FACE_FOUND":                "视频中没有检测到人脸，请重试",
	"VIDEO_TOO_LARGE":              "视频过长，请重试",
	"FACE_QUALITY_TOO_LOW":         "视频质量太差，请重试",
	"SR_ERROR":                     "未通过念数字识别，请重试",
	"NO_AUDIO":                     "没有声音，请重试",
	"VIDEO_FORMAT_UNSUPPORTED":     "视频格式无法识别，请重试",
	"INVALID_VIDEO_DURATION":       "视频长度需在2到20秒之间，请重试",
	"NOT_SYNCHRONIZED":             "未检测到念数字时的口型变化，请重试",
	"LIP_VOICE_NOT_SYNC":           "声音与口型不一致，请重试",
	"FAIL_LIVING_FACE_ATTACK":      "活体验证未通过，请本人正对镜头重试",
	"CHANGE_FACE_ATTACK":           "视频中人脸发生了变化，请本人重试",
	"VIDEO_MANY_TIMES":             "视频上传次数已达上限",
	"VIDEO_INTERNAL_ERROR":         "系统繁忙，请重试",
	"SUCCESS":                      "验证通过",
	"PASS_LIVING_NOT_THE_SAME":     "验证未通过：与身份信息不是同一人",
	"NO_ID_CARD_NUMBER":            "无此身份证号",
	"ID_NUMBER_NAME_NOT_MATCH":     "身份证号和姓名不相符",
	"BALANCE_NOT_ENOUGH":           "服务暂不可用，请联系业务方",
	"ACCOUNT_DISABLED":             "服务暂不可用，请联系业务方",
	"NON_ENTERPRISE_CERTIFICATION": "服务暂不可用，请联系业务方",
	"USER_CANCEL":                  "您已退出验证",
	"LIVING_NOT_START":             "验证尚未开始",
}

var textsEN = map[string]string{
	"TOKEN_INVALID":                "Invalid request, or the request has expired",
	"IDCARD_PHOTO_FRONTSIDE":       "Could not read the card. Hold the ID card straight and try again",
	"IDCARD_BACKSIDE_BLURRED":      "Could not read the card. Hold the ID card straight and try again",
	"NO_FACE_FOUND_IDCARD":         "No face found on the portrait side. Hold the ID card straight and try again",
	"IDCARD_PHOTO_NOTFRONTSIDE":    "This is not the portrait side of an ID card. Please try again",
	"IDCARD_PHOTO_NOTBACKSIDE":     "This is not the emblem side of an ID card. Please try again",
	"FAIL_OCR_FAKE_IDCARD":         "The card did not pass the authenticity check. Photograph the original card",
	"NO_FACE_FOUND":                "No face was found in the video. Please try again",
	"VIDEO_TOO_LARGE":              "The video is too long. Please try again",
	"FACE_QUALITY_TOO_LOW":         "The video quality is too low. Please try again",
	"SR_ERROR":                     "The spoken digits were not recognised. Please try again",
	"NO_AUDIO":                     "No sound was recorded. Please allow the microphone and try again",
	"VIDEO_FORMAT_UNSUPPORTED":     "The video format is not supported. Please try again",
	"INVALID_VIDEO_DURATION":       "The video must be 2 to 20 seconds long. Please try again",
	"NOT_SYNCHRONIZED":             "Your lips did not show the digits being read. Please try again",
	"LIP_VOICE_NOT_SYNC":           "Voice and lip movement do not match. Please try again",
	"FAIL_LIVING_FACE_ATTACK":      "The liveness check failed. Face the camera yourself and try again",
	"CHANGE_FACE_ATTACK":           "The face changed during the video. Please try again yourself",
	"VIDEO_MANY_TIMES":             "Too many videos were uploaded",
	"VIDEO_INTERNAL_ERROR":         "The service is busy. Please try again",
	"SUCCESS":                      "Verification passed",
	"PASS_LIVING_NOT_THE_SAME":     "Verification failed: not the same person as the identity",
	"NO_ID_CARD_NUMBER":            "No such ID number",
	"ID_NUMBER_NAME_NOT_MATCH":     "The ID number does not match the name",
	"BALANCE_NOT_ENOUGH":           "The service is unavailable. Please contact the business",
	"ACCOUNT_DISABLED":             "The service is unavailable. Please contact the business",
	"NON_ENTERPRISE_CERTIFICATION": "The service is unavailable. Please contact the business",
	"USER_CANCEL":                  "You left the verification",
	"LIVING_NOT_START":             "The verification has not started",
}

// Text returns the page text for a result message (or "TOKEN_INVALID") in lang ("zh" or "en").
func Text(lang, message string) string {
	t := textsZH
	if lang == "en" {
		t = textsEN
	}
	if s, ok := t[message]; ok {
		return s
	}
	return t["VIDEO_INTERNAL_ERROR"]
}

// ResultText returns the page text of a result.
func ResultText(lang string, r faceverify.Result) string { return Text(lang, r.Message) }
