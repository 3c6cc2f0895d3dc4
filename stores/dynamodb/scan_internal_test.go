package dynamodb

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestScopeInput(t *testing.T) {
	long := strings.Repeat("x", MaxInlineKeySize+1)
	tests := []struct {
		name       string
		sc         scope
		keysOnly   bool
		filter     string
		names      []string // besides #cd and #xn
		p, pk      string   // the byte values of :p and :pk ("" when absent)
		projection bool
	}{
		{name: "all", sc: scope{}, filter: liveFilter},
		{name: "keys", sc: scope{}, keysOnly: true, filter: liveFilter, names: []string{"#k", "#ok"}, projection: true},
		{name: "empty prefix", sc: scope{scoped: true}, keysOnly: true, filter: liveFilter, names: []string{"#k", "#ok"}, projection: true},
		{name: "prefix", sc: scope{prefix: "ns:", scoped: true}, keysOnly: true,
			filter: liveFilter + " AND (" + inlineMatch + " OR " + hashedMatch + ")",
			names:  []string{"#k", "#ok"}, p: "ns:", pk: "\x00ns:", projection: true},
		{name: "prefix, values", sc: scope{prefix: "a\x00\xff", scoped: true},
			filter: liveFilter + " AND (" + inlineMatch + " OR " + hashedMatch + ")",
			names:  []string{"#k", "#ok"}, p: "a\x00\xff", pk: "\x00a\x00\xff"},
		{name: "longer than an inline key", sc: scope{prefix: long, scoped: true},
			filter: liveFilter + " AND " + hashedMatch, names: []string{"#ok"}, p: long},
	}
	now := time.Unix(100, 5)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.sc.input(aws.String("t"), now, tt.keysOnly)
			if got := aws.ToString(in.FilterExpression); got != tt.filter {
				t.Errorf("filter %q, want %q", got, tt.filter)
			}
			if !aws.ToBool(in.ConsistentRead) {
				t.Error("not a consistent read")
			}
			if len(in.ExpressionAttributeNames) != 2+len(tt.names) {
				t.Errorf("names %v, want #cd, #xn and %v", in.ExpressionAttributeNames, tt.names)
			}
			for _, n := range tt.names {
				if _, ok := in.ExpressionAttributeNames[n]; !ok {
					t.Errorf("name %s missing from %v", n, in.ExpressionAttributeNames)
				}
			}
			for name, want := range map[string]string{":p": tt.p, ":pk": tt.pk} {
				v, ok := in.ExpressionAttributeValues[name].(*types.AttributeValueMemberB)
				switch {
				case want == "" && ok:
					t.Errorf("%s = %q, want none", name, v.Value)
				case want != "" && (!ok || !bytes.Equal(v.Value, []byte(want))):
					t.Errorf("%s = %v, want %q", name, in.ExpressionAttributeValues[name], want)
				}
			}
			if got := in.ProjectionExpression != nil; got != tt.projection {
				t.Errorf("projection %v, want %v", aws.ToString(in.ProjectionExpression), tt.projection)
			}
		})
	}
}

func TestScopeWants(t *testing.T) {
	for _, tt := range []struct {
		sc   scope
		key  string
		want bool
	}{
		{scope{}, "anything", true},
		{scope{prefix: "a", scoped: true}, "ab", true},
		{scope{prefix: "a", scoped: true}, "ba", false},
		{scope{prefix: "a\x00", scoped: true}, "a", false},
	} {
		if got := tt.sc.wants(tt.key); got != tt.want {
			t.Errorf("%+v.wants(%q) = %v, want %v", tt.sc, tt.key, got, tt.want)
		}
	}
}
