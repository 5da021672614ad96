package origin

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"pixcdn/contract"
)

var (
	tagPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$`)
)

// Limits on names.
const (
	maxTags = 32
)

// ValidTenant reports whether id is a well-formed tenant id
// (contract.ValidTenant).
func ValidTenant(id string) bool { return contract.ValidTenant(id) }

// ValidatePublicID checks a public id by the rule the edge enforces too
// (contract.CheckPublicID); errors wrap ErrInvalid.
func ValidatePublicID(id string) error {
	if err := contract.CheckPublicID(id); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// ValidateTags checks tags: at most 32, each 1–64 of [A-Za-z0-9_.:-]
// starting with a letter or digit.
func ValidateTags(tags []string) error {
	if len(tags) > maxTags {
		return fmt.Errorf("%w: at most %d tags", ErrInvalid, maxTags)
	}
	for _, t := range tags {
		if !tagPattern.MatchString(t) {
			return fmt.Errorf("%w: bad tag %q", ErrInvalid, t)
		}
	}
	return nil
}

// ParseTags splits a comma-separated tag list, dropping empty items and
// duplicates. "" gives nil.
func ParseTags(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// validateMetadata checks that m is a JSON object of at most max bytes.
func validateMetadata(m []byte, max int) error {
	if m == nil {
		return nil
	}
	if len(m) > max {
		return fmt.Errorf("%w: metadata is %d bytes, limit %d", ErrInvalid, len(m), max)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(m, &obj); err != nil || obj == nil {
		return fmt.Errorf("%w: metadata must be a JSON object", ErrInvalid)
	}
	return nil
}

func validateIngest(cfg Config, tenant, publicID string, opts IngestOptions) error {
	if !ValidTenant(tenant) {
		return fmt.Errorf("%w: bad tenant id", ErrInvalid)
	}
	if err := ValidatePublicID(publicID); err != nil {
		return err
	}
	if err := ValidateTags(opts.Tags); err != nil {
		return err
	}
	if opts.Visibility != "" && !opts.Visibility.Valid() {
		return fmt.Errorf("%w: visibility must be public or signed", ErrInvalid)
	}
	return validateMetadata(opts.Metadata, cfg.MaxMetadataBytes)
}
