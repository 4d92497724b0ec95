module epicac.test/go-consumer

go 1.19

require (
	github.com/aws/aws-sdk-go-v2 v1.17.1
	github.com/aws/smithy-go v1.13.4
)

// Debian's golang-github-aws-aws-sdk-go-v2-dev packs the SDK as one module: built offline
// against it, with no module proxy.
replace (
	github.com/aws/aws-sdk-go-v2 => /usr/share/gocode/src/github.com/aws/aws-sdk-go-v2
	github.com/aws/smithy-go => /usr/share/gocode/src/github.com/aws/smithy-go
	github.com/google/go-cmp => /usr/share/gocode/src/github.com/google/go-cmp
	github.com/jmespath/go-jmespath => /usr/share/gocode/src/github.com/jmespath/go-jmespath
)
