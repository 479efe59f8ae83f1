package apitest

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/cloudauth"
)

// CloudauthClient is the official Alibaba Cloud Go SDK's client, signing with the server
// tenant's AccessKey.
func (s *Server) CloudauthClient(t testing.TB) *cloudauth.Client {
	t.Helper()
	c, err := cloudauth.NewClientWithAccessKey("cn-hangzhou", s.Tenant.AccessKeyID, s.Tenant.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// DescribeRequest is a DescribeFaceVerify request of certifyID in the tenant's scene, sent
// to this server over plain HTTP.
func (s *Server) DescribeRequest(certifyID string) *cloudauth.DescribeFaceVerifyRequest {
	r := cloudauth.CreateDescribeFaceVerifyRequest()
	r.Domain, r.Scheme = strings.TrimPrefix(s.URL, "http://"), "http"
	r.SceneId = requests.Integer(s.Tenant.SceneID)
	r.CertifyId = certifyID
	return r
}

// AwaitDescribe sends the request newReq builds (a fresh one each time: the SDK signs it in
// place) until the verdict is there — Code 424 means not completed yet — failing t after
// timeout.
func AwaitDescribe(t testing.TB, c *cloudauth.Client, newReq func() *cloudauth.DescribeFaceVerifyRequest, timeout time.Duration) *cloudauth.DescribeFaceVerifyResponse {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		resp, err := c.DescribeFaceVerify(newReq())
		if err != nil {
			t.Fatalf("DescribeFaceVerify: %v", err)
		}
		if resp.Code != "424" {
			return resp
		}
		if time.Now().After(deadline) {
			t.Fatalf("no verdict: %s", resp.GetHttpContentString())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// LiteForm is a valid get_biz_token form (a video_number session for 张三 and a well-formed
// ID number, results to https://biz.example/notify) with the pairs kv set on it as
// EditForm does; a value "<del>" removes the key.
func LiteForm(kv ...string) url.Values {
	f := url.Values{
		"return_url": {"https://biz.example/return"}, "notify_url": {"https://biz.example/notify"},
		"liveness_type": {"video_number"}, "idcard_name": {"张三"}, "idcard_number": {"11010519491231002X"},
	}
	return EditForm(f, "<del>", kv...)
}

// EditForm sets each key/value pair of kv on f and returns f; a pair whose value is del
// removes the key instead.
func EditForm(f url.Values, del string, kv ...string) url.Values {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == del {
			f.Del(kv[i])
		} else {
			f.Set(kv[i], kv[i+1])
		}
	}
	return f
}
