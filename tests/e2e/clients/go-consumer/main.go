// An application using the AWS SDK for Go v2: credentials from its default chain
// (config.LoadDefaultConfig), then STS GetCallerIdentity with them. STS_ENDPOINT sets where STS
// calls go (this SDK version reads no AWS_ENDPOINT_URL_STS); every connection to an address
// other than loopback is refused before it is made.
//
// Prints one JSON line: {"Arn", "Account", "AccessKeyId"} and exits 0, or {"error"} and exits 1.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func loopbackOnly(ctx context.Context, network, address string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("refused to connect to %s: not loopback", address)
	}
	var dialer net.Dialer
	return dialer.DialContext(ctx, network, address)
}

func fail(err error) {
	out, _ := json.Marshal(map[string]string{"error": err.Error()})
	fmt.Println(string(out))
	os.Exit(1)
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.DialContext = loopbackOnly
	})
	endpoint := os.Getenv("STS_ENDPOINT")
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithHTTPClient(client),
		config.WithEndpointCredentialOptions(func(o *endpointcreds.Options) { o.HTTPClient = client }),
		config.WithEndpointResolverWithOptions(aws.EndpointResolverWithOptionsFunc(
			func(service, region string, _ ...interface{}) (aws.Endpoint, error) {
				if service == sts.ServiceID && endpoint != "" {
					return aws.Endpoint{URL: endpoint, SigningRegion: region, HostnameImmutable: true}, nil
				}
				return aws.Endpoint{}, fmt.Errorf("no loopback endpoint for %s", service)
			})),
	)
	if err != nil {
		fail(err)
	}
	credentials, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		fail(err)
	}
	identity, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		fail(err)
	}
	out, _ := json.Marshal(map[string]string{
		"Arn":         aws.ToString(identity.Arn),
		"Account":     aws.ToString(identity.Account),
		"AccessKeyId": credentials.AccessKeyID,
	})
	fmt.Println(string(out))
}
