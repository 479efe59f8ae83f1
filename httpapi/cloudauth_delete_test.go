package httpapi_test

import (
	"context"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/cloudauth"

	"github.com/faceverify/faceverify/internal/admin"
	"github.com/faceverify/faceverify/internal/apitest"
)

// TestCloudauthDeleteSDK: DeleteFaceVerifyResult through the official Go SDK erases the
// session; Describe then answers 406 (the id is unknown now), and another tenant cannot erase it.
func TestCloudauthDeleteSDK(t *testing.T) {
	s := apitest.Start(t, apitest.Options{})
	init := caSdkInit(t, s)
	id := init.ResultObject.CertifyId
	del := func(ak, secret, certifyID, after string) (*cloudauth.DeleteFaceVerifyResultResponse, error) {
		r := cloudauth.CreateDeleteFaceVerifyResultRequest()
		r.Domain, r.Scheme = caHost(s), "http"
		r.CertifyId, r.DeleteAfterQuery = certifyID, after
		return caSdkClient(t, ak, secret).DeleteFaceVerifyResult(r)
	}
	other := admin.NewTenant("other", -1)
	if err := s.App.Store.CreateTenant(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	if resp, err := del(other.AccessKeyID, other.AccessKeySecret, id, "N"); err != nil || resp.Code != "406" {
		t.Fatalf("other tenant's delete: %+v %v", resp, err)
	}
	if resp, err := del(s.Tenant.AccessKeyID, s.Tenant.AccessKeySecret, id, "X"); err != nil || resp.Code != "401" {
		t.Fatalf("bad DeleteAfterQuery: %+v %v", resp, err)
	}
	if resp, err := del(s.Tenant.AccessKeyID, s.Tenant.AccessKeySecret, "not-hex", "N"); err != nil || resp.Code == "200" {
		t.Fatalf("malformed id: %+v %v", resp, err)
	}
	resp, err := del(s.Tenant.AccessKeyID, s.Tenant.AccessKeySecret, id, "Y")
	if err != nil || resp.Code != "200" || resp.ResultObject.DeleteResult != "Y" || resp.ResultObject.CertifyId != id {
		t.Fatalf("delete: %+v %v", resp, err)
	}
	d, err := caSdkClient(t, s.Tenant.AccessKeyID, s.Tenant.AccessKeySecret).DescribeFaceVerify(caDescribeReq(s, id))
	if err != nil || d.Code != "406" {
		t.Fatalf("describe after delete: %+v %v", d, err)
	}
	if resp, err := del(s.Tenant.AccessKeyID, s.Tenant.AccessKeySecret, id, "N"); err != nil || resp.Code != "406" {
		t.Fatalf("second delete: %+v %v", resp, err)
	}
	keys, _ := s.App.Blobs.List(context.Background(), "sessions/")
	if len(keys) != 0 {
		t.Fatalf("blobs left: %v", keys)
	}
}
