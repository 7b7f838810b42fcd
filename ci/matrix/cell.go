package matrix

// State is what a cell of the matrix's tables means for its exit: the
// tables show words, and the matrix decides from states set where each
// cell is made, never from the words.
type State int

// The states of a cell.
const (
	// Decided: the check ran and decided, whatever it found.
	Decided State = iota
	// Missing: a result xdplab should have made is not there (a step
	// that did not run or report, a file that does not read): it fails
	// the matrix.
	Missing
	// Failed: xdplab's own check failed (a journal that did not give a
	// setting back): it fails the matrix.
	Failed
	// Finding: the kernel's or the driver's doing (a check that hung in
	// the kernel, modes that treat a frame differently): listed under the
	// table, it fails nothing.
	Finding
	// Skipped: not run, by design or because the kernel had ended (a NIC
	// kind the QEMU lacks, a kernel that failed): said, it fails nothing.
	Skipped
)

// A Cell is one cell of a table: the word the table shows, the whole
// text where there is more to say, and what it means.
type Cell struct {
	Word  string
	Text  string // the whole text; the note shows it where it is more than Word
	State State
	// OK: it worked (attached, the same verdict in every mode, every
	// setting restored); a later kernel where it does not has lost it.
	OK bool
}

// cellOK is a check that worked, said in a word.
func cellOK(word string) Cell { return Cell{Word: word, Text: word, OK: true} }

// cellOf is a cell whose word is the text's first word.
func cellOf(state State, word, text string) Cell { return Cell{Word: word, Text: text, State: state} }

// Fails tells whether the cell fails the matrix.
func (c Cell) Fails() bool { return c.State == Missing || c.State == Failed }

// More is the text the note adds to the word; empty where the word says
// it all.
func (c Cell) More() string {
	if c.Text == c.Word {
		return ""
	}
	return c.Text
}

func (c Cell) String() string { return c.Text }
