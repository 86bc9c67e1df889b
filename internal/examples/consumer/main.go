// Command consumer is a complete Go consumer of tgnats events: a durable
// JetStream consumer on the account's event stream, schema.DecodeParts for
// the CloudEvent (binary or structured mode) and typed bodies. The README
// shows this file; copy it as the start of a service.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/schema"
)

func main() {
	server := flag.String("server", nats.DefaultURL, "NATS URL")
	account := flag.String("account", "main", "tgnats account name")
	durable := flag.String("durable", "example-consumer", "durable consumer name")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := consume(ctx, *server, *account, *durable, 0, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// consume prints message events until ctx ends or, when max > 0, max
// events were handled.
func consume(ctx context.Context, url, account, durable string, max int, out io.Writer) error {
	nc, err := nats.Connect(url)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	// The stream is TG_<ACCOUNT>_EVENTS, the subjects tg.<account>.events.…;
	// the consumer survives restarts and resumes after the last event it
	// acknowledged.
	stream := schema.EventStreamName(account)
	cons, err := js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{
		Durable:       durable,
		FilterSubject: schema.EventSubject(schema.DefaultPrefix, account, "message.>"),
		AckPolicy:     jetstream.AckExplicitPolicy,
	})
	if err != nil {
		return err
	}
	msgs, err := cons.Messages()
	if err != nil {
		return err
	}
	go func() { <-ctx.Done(); msgs.Stop() }()
	defer msgs.Stop()
	for n := 0; max == 0 || n < max; n++ {
		m, err := msgs.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return nil
		} else if err != nil {
			return err
		}
		ev, err := schema.DecodeParts(m.Headers(), m.Data())
		if err != nil {
			log.Printf("not a CloudEvent: %v", err)
			m.Term() // never redelivered
			continue
		}
		switch ev.Type() {
		case schema.TypeName("message", "created"), schema.TypeName("message", "edited"):
			var body schema.Message
			if err := ev.DataAs(&body); err != nil {
				return err
			}
			fmt.Fprintf(out, "%s %s:%d #%d %q\n", ev.Type(), body.Chat.Kind, body.Chat.ID, body.MessageID, body.Text)
		case schema.TypeName("message", "deleted"):
			var body schema.MessageDeleted
			if err := ev.DataAs(&body); err != nil {
				return err
			}
			fmt.Fprintf(out, "%s %s:%d #%d\n", ev.Type(), body.Chat.Kind, body.Chat.ID, body.MessageID)
		}
		if err := m.Ack(); err != nil {
			return err
		}
	}
	return nil
}
