package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// tableWait bounds the wait for a table to become active.
const tableWait = 5 * time.Minute

// EnsureTable creates the store's table when it does not exist
// (on-demand billing, partition key "k" of type binary), waits until it is
// active and enables Time to Live on TTLAttribute. An existing table is
// checked to have the partition key the store needs. It is what
// WithCreateTable does, for callers that want to do it with a context of
// their own.
func (s *Store) EnsureTable(ctx context.Context) error {
	if err := s.life.BeginWrite(ctx); err != nil {
		return errs.Err("ensure table", err)
	}
	return s.setup(ctx, options{createTable: true, enableTTL: true})
}

func (s *Store) setup(ctx context.Context, o options) error {
	created := false
	desc, err := s.client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: s.table})
	var nf *types.ResourceNotFoundException
	switch {
	case errors.As(err, &nf) && o.createTable:
		if err := s.createTable(ctx); err != nil {
			return errs.Err("create table", err)
		}
		created = true
	case err != nil:
		return errs.Err("describe table", err)
	default:
		if err := checkSchema(desc.Table); err != nil {
			return errs.Err("check table", err)
		}
	}
	if created || o.enableTTL {
		s.enableTTL(ctx)
	}
	return nil
}

func (s *Store) createTable(ctx context.Context) error {
	_, err := s.client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   s.table,
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(attrKey), AttributeType: types.ScalarAttributeTypeB},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(attrKey), KeyType: types.KeyTypeHash},
		},
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) { // in use: created by someone else meanwhile
		return err
	}
	w := dynamodb.NewTableExistsWaiter(s.client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 200 * time.Millisecond
		o.MaxDelay = 5 * time.Second
	})
	return w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: s.table}, tableWait)
}

func checkSchema(t *types.TableDescription) error {
	if t == nil {
		return errors.New("no table description")
	}
	if len(t.KeySchema) != 1 || aws.ToString(t.KeySchema[0].AttributeName) != attrKey || t.KeySchema[0].KeyType != types.KeyTypeHash {
		return fmt.Errorf("table %s must have the one key %q (partition key, binary)", aws.ToString(t.TableName), attrKey)
	}
	for _, a := range t.AttributeDefinitions {
		if aws.ToString(a.AttributeName) == attrKey && a.AttributeType != types.ScalarAttributeTypeB {
			return fmt.Errorf("table %s: key %q is of type %s, must be binary (B)", aws.ToString(t.TableName), attrKey, a.AttributeType)
		}
	}
	return nil
}

// enableTTL turns Time to Live on for TTLAttribute unless it is on
// already. Failure is logged, not returned: reads enforce expiry anyway.
func (s *Store) enableTTL(ctx context.Context) {
	d, err := s.client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: s.table})
	if err == nil && d.TimeToLiveDescription != nil {
		st := d.TimeToLiveDescription.TimeToLiveStatus
		if (st == types.TimeToLiveStatusEnabled || st == types.TimeToLiveStatusEnabling) &&
			aws.ToString(d.TimeToLiveDescription.AttributeName) == attrTTL {
			return
		}
		if st == types.TimeToLiveStatusEnabled || st == types.TimeToLiveStatusEnabling {
			s.log.Warn("kv/dynamodb: Time to Live is enabled on another attribute; expired entries are only hidden, not deleted",
				"table", *s.table, "attribute", aws.ToString(d.TimeToLiveDescription.AttributeName))
			return
		}
	}
	_, err = s.client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: s.table,
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(attrTTL),
			Enabled:       aws.Bool(true),
		},
	})
	if err != nil {
		s.log.Warn("kv/dynamodb: cannot enable Time to Live; expired entries are only hidden, not deleted",
			"table", *s.table, "err", err)
	}
}
