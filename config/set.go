package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

const envPrefix = "TGNATS_"

var durationType = reflect.TypeFor[time.Duration]()

// Set sets the field at the dotted YAML path key ("nats.url",
// "accounts.0.bot_token") from its string form: durations in Go syntax,
// lists comma-separated. An index equal to a list's length appends. Setting
// a secret clears its *_file; setting a *_file reads the secret from it.
func (c *Config) Set(key, value string) error {
	if err := c.set(key, value); err != nil {
		return err
	}
	c.applyDerived()
	return nil
}

func (c *Config) set(key, value string) error {
	f, err := c.field(key)
	if err != nil {
		return err
	}
	if err := setValue(f, key, value); err != nil {
		return err
	}
	// Keep a secret and its file consistent: the later one wins.
	for _, s := range c.secrets() {
		switch key {
		case s.key:
			*s.path = ""
		case s.key + "_file":
			if value == "" {
				*s.value = ""
				continue
			}
			if err := s.read(); err != nil {
				return err
			}
		}
	}
	return nil
}

// field returns the settable field at key, growing a list by one when an
// index equals its length.
func (c *Config) field(key string) (reflect.Value, error) {
	v := reflect.ValueOf(c).Elem()
	for tok := range strings.SplitSeq(key, ".") {
		switch v.Kind() {
		case reflect.Struct:
			f, ok := fieldByYAML(v, tok)
			if !ok {
				return reflect.Value{}, fmt.Errorf("%w %q", ErrUnknownKey, key)
			}
			v = f
		case reflect.Slice:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i > v.Len() {
				return reflect.Value{}, fmt.Errorf("%w %q: index %s out of range (list has %d)", ErrUnknownKey, key, tok, v.Len())
			}
			if i == v.Len() {
				v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
			}
			v = v.Index(i)
		default:
			return reflect.Value{}, fmt.Errorf("%w %q", ErrUnknownKey, key)
		}
	}
	return v, nil
}

func setValue(f reflect.Value, key, value string) error {
	bad := func(msg string) error { return fmt.Errorf("config: %w", &FieldError{Field: key, Msg: msg}) }
	switch {
	case f.Type() == durationType:
		d, err := time.ParseDuration(value)
		if err != nil {
			return bad(fmt.Sprintf("not a duration: %q", value))
		}
		f.SetInt(int64(d))
		return nil
	case f.Kind() == reflect.String: // strings and secrets: no value in errors
		f.SetString(value)
		return nil
	case f.Kind() == reflect.Int:
		n, err := strconv.Atoi(value)
		if err != nil {
			return bad(fmt.Sprintf("not an integer: %q", value))
		}
		f.SetInt(int64(n))
		return nil
	case f.Kind() == reflect.Float64:
		x, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return bad(fmt.Sprintf("not a number: %q", value))
		}
		f.SetFloat(x)
		return nil
	case f.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(value)
		if err != nil {
			return bad(fmt.Sprintf("not a boolean: %q", value))
		}
		f.SetBool(b)
		return nil
	case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.String:
		var list []string
		for s := range strings.SplitSeq(value, ",") {
			if s = strings.TrimSpace(s); s != "" {
				list = append(list, s)
			}
		}
		f.Set(reflect.ValueOf(list))
		return nil
	}
	return bad("not a single value; set its fields")
}

func fieldByYAML(v reflect.Value, name string) (reflect.Value, bool) {
	t := v.Type()
	for i := range t.NumField() {
		if yamlName(t.Field(i)) == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}

// loadEnv applies the TGNATS_* variables of environ with Set. A variable
// and its _FILE twin may not both be set.
func (c *Config) loadEnv(environ []string) error {
	type setting struct{ name, key, value string }
	var settings []setting
	names := map[string]string{} // key -> variable name
	for _, kv := range sortedEnv(environ) {
		key, ok := envKey(reflect.TypeFor[Config](), strings.TrimPrefix(kv[0], envPrefix))
		if !ok {
			return fmt.Errorf("%w: environment variable %s", ErrUnknownKey, kv[0])
		}
		settings = append(settings, setting{name: kv[0], key: key, value: kv[1]})
		names[key] = kv[0]
	}
	for _, s := range settings {
		if base, ok := strings.CutSuffix(s.key, "_file"); ok {
			if other, ok := names[base]; ok {
				return fmt.Errorf("config: %w", &FieldError{Field: base, Msg: "set only one of " + other + " and " + s.name})
			}
		}
	}
	for _, s := range settings {
		if err := c.set(s.key, s.value); err != nil {
			return fmt.Errorf("%w (from %s)", err, s.name)
		}
	}
	return nil
}

// envKey maps the upper-cased rest of an environment variable name to a
// dotted key by walking t, trying every field whose name is a prefix.
func envKey(t reflect.Type, rest string) (string, bool) {
	if t == durationType || t.Kind() != reflect.Struct && t.Kind() != reflect.Slice {
		return "", rest == ""
	}
	if t.Kind() == reflect.Slice {
		idx, tail, _ := strings.Cut(rest, "_")
		if _, err := strconv.Atoi(idx); err != nil {
			// A whole list of strings, comma-separated.
			return "", rest == "" && t.Elem().Kind() == reflect.String
		}
		sub, ok := envKey(t.Elem(), tail)
		return join(idx, sub), ok
	}
	for i := range t.NumField() {
		name := yamlName(t.Field(i))
		up := strings.ToUpper(name)
		if rest == up {
			if sub, ok := envKey(t.Field(i).Type, ""); ok {
				return join(name, sub), true
			}
			continue
		}
		if tail, ok := strings.CutPrefix(rest, up+"_"); ok {
			if sub, ok := envKey(t.Field(i).Type, tail); ok && sub != "" {
				return join(name, sub), true
			}
		}
	}
	return "", false
}

func join(a, b string) string {
	if b == "" {
		return a
	}
	return a + "." + b
}
