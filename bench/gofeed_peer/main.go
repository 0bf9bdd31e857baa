// gofeed_peer prints, for each file given, one JSON line shaped like newsd's
// feed record (parsers/feeds/feed_record.cpp) from gofeed's universal gofeed.Feed,
// so bench/feedparser_suite.py can score gofeed the way it scores
// `newsd parse-feed`. Each gofeed field is mapped once, without regard to any
// test case:
//
//	Feed: FeedType+FeedVersion -> format, Title, Link, Description, Language,
//	      UpdatedParsed (else Updated as updated_raw), Image.URL/Title,
//	      Authors (else Author) [{Name, Email}].
//	Item: Title, Link, GUID, PublishedParsed/UpdatedParsed (else the raw text
//	      as published_raw/updated_raw), Authors (else Author), Description -> summary,
//	      Content -> content, Categories, Enclosures {URL, Length, Type},
//	      Image.URL.
//
// gofeed has no bozo/malformed flag (malformed is always null), no
// isPermaLink (guid_is_permalink is null), and its universal Item has no
// comments or language. Values gofeed leaves empty are omitted, as newsd does.
// A file gofeed cannot parse gives {"input", "error", "detail"} like newsd.
//
// usage: go -C bench/gofeed_peer build -o /tmp/gofeed_peer . && /tmp/gofeed_peer FILE...
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
)

type object = map[string]any

func putString(out object, key, value string) {
	if value != "" {
		out[key] = value
	}
}

func putDate(out object, key string, parsed *time.Time, raw string) {
	if parsed != nil {
		out[key] = parsed.UTC().Format("2006-01-02T15:04:05Z")
	} else if raw != "" {
		out[key] = nil
		out[key+"_raw"] = raw
	}
}

func people(persons []*gofeed.Person) []object {
	var out []object
	for _, p := range persons {
		if p == nil {
			continue
		}
		person := object{"name": nil, "email": nil}
		if p.Name != "" {
			person["name"] = p.Name
		}
		if p.Email != "" {
			person["email"] = p.Email
		}
		out = append(out, person)
	}
	return out
}

// personsOf is Authors, or the deprecated single Author when Authors is empty.
func personsOf(authors []*gofeed.Person, author *gofeed.Person) []*gofeed.Person {
	if len(authors) == 0 && author != nil {
		return []*gofeed.Person{author}
	}
	return authors
}

func itemRecord(item *gofeed.Item) object {
	out := object{}
	putString(out, "title", item.Title)
	putString(out, "link", item.Link)
	if item.GUID != "" {
		out["guid"] = item.GUID
		out["guid_is_permalink"] = nil // gofeed does not expose isPermaLink
	}
	putDate(out, "published", item.PublishedParsed, item.Published)
	putDate(out, "updated", item.UpdatedParsed, item.Updated)
	if authors := people(personsOf(item.Authors, item.Author)); len(authors) > 0 {
		out["authors"] = authors
	}
	putString(out, "summary", item.Description)
	putString(out, "content", item.Content)
	if len(item.Categories) > 0 {
		out["categories"] = item.Categories
	}
	var enclosures []object
	for _, e := range item.Enclosures {
		if e == nil {
			continue
		}
		enclosure := object{"url": e.URL, "length": nil, "type": nil}
		if n, err := strconv.ParseInt(strings.TrimSpace(e.Length), 10, 64); err == nil {
			enclosure["length"] = n
		}
		if e.Type != "" {
			enclosure["type"] = e.Type
		}
		enclosures = append(enclosures, enclosure)
	}
	if len(enclosures) > 0 {
		out["enclosures"] = enclosures
	}
	if item.Image != nil {
		putString(out, "image", item.Image.URL)
	}
	return out
}

func feedRecord(feed *gofeed.Feed) object {
	out := object{}
	out["format"] = feed.FeedType + feed.FeedVersion
	putString(out, "title", feed.Title)
	putString(out, "link", feed.Link)
	putString(out, "description", feed.Description)
	putString(out, "language", feed.Language)
	putDate(out, "updated", feed.UpdatedParsed, feed.Updated)
	if feed.Image != nil && feed.Image.URL != "" {
		image := object{"url": feed.Image.URL}
		putString(image, "title", feed.Image.Title)
		out["image"] = image
	}
	if authors := people(personsOf(feed.Authors, feed.Author)); len(authors) > 0 {
		out["authors"] = authors
	}
	out["malformed"] = nil // gofeed has no bozo flag
	items := []object{}
	for _, item := range feed.Items {
		if item != nil {
			items = append(items, itemRecord(item))
		}
	}
	out["items"] = items
	return out
}

func parse(path string) (line object) {
	defer func() {
		if r := recover(); r != nil {
			line = object{"input": path, "error": "panic", "detail": fmt.Sprint(r)}
		}
	}()
	data, err := os.ReadFile(path)
	if err != nil {
		return object{"input": path, "error": "read_failed", "detail": err.Error()}
	}
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(data))
	if err != nil {
		return object{"input": path, "error": "parse_failed", "detail": err.Error()}
	}
	line = feedRecord(feed)
	line["input"] = path
	return line
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gofeed_peer FILE...")
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	encoder := json.NewEncoder(out)
	encoder.SetEscapeHTML(false)
	status := 0
	for _, path := range os.Args[1:] {
		line := parse(path)
		if _, failed := line["error"]; failed {
			status = 1
		}
		if err := encoder.Encode(line); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	out.Flush()
	os.Exit(status)
}
